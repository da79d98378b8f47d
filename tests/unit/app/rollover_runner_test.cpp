// The rollover shell against a scripted DNS world (a primary that accepts UPDATEs and a
// secondary that copies it, or lags), a fake deployer and a fake clock: the safe order end to
// end, key reuse, failed and ambiguous UPDATEs, dry runs and refused certificates.
#include "app/rollover_runner.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "adapters/openssl/certificate_factory.hpp"
#include "adapters/openssl/pem_bundle.hpp"
#include "core/tlsa/tlsa_compute.hpp"
#include "unit/app/in_memory_state_store.hpp"

namespace daneguard::testing {
namespace {

using namespace std::chrono_literals;
using std::chrono::seconds;
using std::chrono::sys_seconds;

namespace ossl = adapters::openssl;

const std::string kZone = "example.test.";
const std::string kOwner = "_25._tcp.mail.example.test.";
const ports::DnsServer kPrimary{"127.0.0.1", 53};
const ports::DnsServer kSecondary{"127.0.0.2", 53};
constexpr std::uint32_t kSoaMinimum = 300;  // negative TTL = min(300, 600)
constexpr std::uint32_t kSoaTtl = 600;
const sys_seconds kStart{std::chrono::days(20000)};
// Full visibility is dated at the end of the second it was observed in (the clock rounds down),
// so every cache window ends one second after "observed + factor x TTL + margin".
constexpr auto kWindowEnd = 661s;

struct Rrset {
  std::vector<TlsaRecord> records;
  std::uint32_t ttl = 0;
};

/// One zone on a primary (update target) and a secondary; DnsQuery, ZoneLocator, DnsUpdate
/// and PublisherDirectory at once.
class ScriptedDns final : public ports::DnsQuery,
                          public ports::ZoneLocator,
                          public ports::DnsUpdate,
                          public ports::PublisherDirectory {
 public:
  std::map<std::string, Rrset> primary;
  std::map<std::string, Rrset> secondary;
  bool secondary_follows = true;
  std::deque<Error> update_failures;  // next UPDATEs fail with these
  bool apply_failed_updates = false;  // the failure came after the server applied it
  std::vector<ports::UpdateRequest> updates;

  Result<ports::DnsAnswer> query(const ports::DnsQuestion& question) override {
    const auto& zone = question.server == kPrimary ? primary : secondary;
    ports::DnsAnswer answer;
    answer.server = question.server;
    answer.authoritative = true;
    const auto found = zone.find(question.name);
    if (found == zone.end() || found->second.records.empty()) {
      answer.rcode = ports::DnsRcode::NxDomain;
      return answer;
    }
    for (const TlsaRecord& record : found->second.records) {
      ports::DnsRecord rr;
      rr.owner = question.name;
      rr.type = ports::DnsType::TLSA;
      rr.ttl = found->second.ttl;
      rr.rdata = {static_cast<std::uint8_t>(record.parameters.usage),
                  static_cast<std::uint8_t>(record.parameters.selector),
                  static_cast<std::uint8_t>(record.parameters.matching_type)};
      rr.rdata.insert(rr.rdata.end(), record.data.begin(), record.data.end());
      answer.answer.push_back(rr);
    }
    return answer;
  }
  std::vector<Result<ports::DnsAnswer>> queryAll(
      std::span<const ports::DnsQuestion> questions) override {
    std::vector<Result<ports::DnsAnswer>> out;
    for (const auto& question : questions)
      out.push_back(query(question));
    return out;
  }

  Result<ports::ZoneApex> discoverZone(const std::string& /*owner*/) override {
    ports::SoaRecord soa;
    soa.zone = kZone;
    soa.ttl = kSoaTtl;
    soa.minimum = kSoaMinimum;
    return ports::ZoneApex{kZone, soa};
  }
  Result<std::vector<ports::AuthoritativeServer>> authoritativeAddresses(
      const std::string& /*zone*/) override {
    return std::vector<ports::AuthoritativeServer>{{"update target", kPrimary},
                                                   {"ns2.example.test.", kSecondary}};
  }

  Result<ports::UpdateOutcome> apply(const ports::UpdateRequest& request) override {
    updates.push_back(request);
    if (!update_failures.empty()) {
      Error error = update_failures.front();
      update_failures.pop_front();
      if (apply_failed_updates) change(request);
      return fail(error);
    }
    for (const auto& prerequisite : request.prerequisites) {
      const auto& rrset = primary[prerequisite.owner];
      if (prerequisite.kind == ports::UpdatePrerequisite::Kind::TlsaRrsetAbsent &&
          !rrset.records.empty())
        return fail(ErrorKind::PreconditionFailed, "YXRRSET");
      if (prerequisite.kind == ports::UpdatePrerequisite::Kind::TlsaRrsetEquals &&
          rrset.records != prerequisite.records)
        return fail(ErrorKind::PreconditionFailed, "NXRRSET");
    }
    change(request);
    return ports::UpdateOutcome{request.server, request.zone, request.additions.size(),
                                request.deletions.size(), false};
  }

  Result<ports::PublisherDns> publisher(std::string_view /*name*/) override {
    return ports::PublisherDns{kPrimary, this};
  }
  Result<ports::DnsUpdate*> updater(std::string_view /*name*/) override { return this; }

 private:
  void change(const ports::UpdateRequest& request) {
    for (const auto& deletion : request.deletions)
      std::erase(primary[deletion.owner].records, deletion.record);
    for (const auto& addition : request.additions) {
      Rrset& rrset = primary[addition.owner];
      if (std::find(rrset.records.begin(), rrset.records.end(), addition.record) ==
          rrset.records.end())
        rrset.records.push_back(addition.record);
      rrset.ttl = request.ttl_seconds;
    }
    if (secondary_follows) secondary = primary;
  }
};

class FakeClock final : public ports::Clock {
 public:
  sys_seconds time = kStart;
  int sleeps = 0;
  sys_seconds now() override { return time; }
  void sleepFor(seconds duration) override {
    ++sleeps;
    time += duration;
  }
  void sleepUntil(sys_seconds instant) override {
    ++sleeps;
    time = std::max(time, instant);
  }
  // Whole seconds only: "just before" a second is that second here.
  void sleepUntilJustBefore(sys_seconds instant) override { sleepUntil(instant); }
};

class FakeDeployer final : public ports::Deployer {
 public:
  std::vector<std::string> deployed;
  std::optional<Error> failure;
  Result<void> deploy(const ports::DeployRequest& request) override {
    if (failure) return fail(*failure);
    EXPECT_TRUE(request.certificate.private_key_pem.has_value());
    deployed.push_back(request.candidate_id);
    return {};
  }
};

class FakeCertificates final : public ports::CertificateLoader {
 public:
  std::string pem;
  std::size_t key_loads = 0;
  Result<LoadedCertificate> load(const config::CertificateSource& /*source*/,
                                 PrivateKeyUse key) override {
    if (key == PrivateKeyUse::Skip) {
      auto chain = ossl::loadCertificateChainFromText(pem, "test bundle");
      if (!chain) return fail(chain.error());
      PublicKeyFacts facts = chain->leaf().public_key;
      return LoadedCertificate{std::move(*chain), std::nullopt, std::move(facts)};
    }
    ++key_loads;
    return ossl::loadPemBundleFromText(pem, "test bundle");
  }
};

class RecordingEvents final : public app::RunEvents {
 public:
  std::vector<std::string> actions;
  std::vector<std::string> logs;
  void action(std::string_view /*service*/, std::string_view line) override {
    actions.emplace_back(line);
  }
  void log(app::LogLevel /*level*/, std::string_view /*service*/,
           std::string_view message) override {
    logs.emplace_back(message);
  }
};

/// A throwaway CA issuing leaf certificates, so tests control keys, names and dates.
class TestCa {
 public:
  TestCa() {
    key_ = std::move(*ossl::generateKey(KeyAlgorithm::EcdsaP256));
    certificate_ = *ossl::issueCertificate(
        {"test CA", {}, true, kStart - std::chrono::days(10), kStart + std::chrono::days(3650), 1},
        key_, key_);
  }
  /// key + leaf + CA, as a lego --pem bundle.
  std::string bundle(const ossl::GeneratedKey& key, std::vector<std::string> names,
                     sys_seconds not_before = kStart - std::chrono::days(1),
                     sys_seconds not_after = kStart + std::chrono::days(90)) {
    const auto leaf = ossl::issueCertificate(
        {names.front(), names, false, not_before, not_after, ++serial_}, key, key_, certificate_);
    EXPECT_TRUE(leaf.has_value());
    return std::string(key.private_key_pem.revealText()) + *leaf + certificate_;
  }

 private:
  ossl::GeneratedKey key_;
  std::string certificate_;
  std::uint64_t serial_ = 1;
};

ossl::GeneratedKey newKey() {
  return std::move(*ossl::generateKey(KeyAlgorithm::EcdsaP256));
}

TlsaRecord record311(const std::string& bundle) {
  const auto loaded = ossl::loadPemBundleFromText(bundle, "test");
  EXPECT_TRUE(loaded.has_value());
  return computeTlsaRecords(loaded->chain, TlsaParameters{}).front();
}

config::Config mailConfig() {
  config::Config config;
  config::Service service;
  service.name = "mail";
  service.hosts = {"mail.example.test"};
  service.ports = {25};
  service.ttl = 3600;
  service.publisher = "primary";
  service.certificate = config::PemBundleSource{"/unused.pem"};
  service.deploy = config::HookDeploy{{"/bin/true"}, 10s};
  service.rollover.margin = 60s;
  service.rollover.poll_interval = 10s;
  config.services.push_back(service);
  config.publishers.emplace("primary", config::Rfc2136Publisher{});
  return config;
}

struct Harness {
  ScriptedDns dns;
  FakeCertificates certificates;
  InMemoryStateStore store;
  FakeDeployer deployer;
  FakeClock clock;
  RecordingEvents events;
  config::Config config = mailConfig();
  app::RunnerPorts ports{dns, dns, certificates, store, deployer, clock, events};

  app::RunReport run(app::RunMode mode = app::RunMode::Execute, bool wait = false) {
    app::RunOptions options;
    options.mode = mode;
    options.wait = wait;
    auto report = app::runRollover(config, ports, options);
    EXPECT_TRUE(report.has_value()) << (report ? "" : report.error().message);
    return report ? *report : app::RunReport{};
  }
};

TEST(RolloverRunner, FirstEnablementPublishesWaitsTheNegativeTtlThenDeploysThenRetires) {
  Harness h;
  TestCa ca;
  const auto key_a = newKey();
  const std::string bundle_a = ca.bundle(key_a, {"mail.example.test"});
  const TlsaRecord record_a = record311(bundle_a);
  h.certificates.pem = bundle_a;

  // Run 1: the owner has no TLSA RRset: publish, add-only, guarded by "RRset absent".
  auto report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.dns.updates.size(), 1u);
  EXPECT_TRUE(h.dns.updates[0].deletions.empty());
  ASSERT_EQ(h.dns.updates[0].additions.size(), 1u);
  EXPECT_EQ(h.dns.updates[0].additions[0].record, record_a);
  EXPECT_EQ(h.dns.updates[0].ttl_seconds, 3600u);
  ASSERT_EQ(h.dns.updates[0].prerequisites.size(), 1u);
  EXPECT_EQ(h.dns.updates[0].prerequisites[0].kind,
            ports::UpdatePrerequisite::Kind::TlsaRrsetAbsent);
  EXPECT_TRUE(h.deployer.deployed.empty());
  // Resolvers may hold the denial for min(SOA MINIMUM, SOA TTL) = 300 s: 1 + 2 x 300 + 60.
  ASSERT_TRUE(report.next_due);
  EXPECT_EQ(*report.next_due, kStart + kWindowEnd);
  ASSERT_FALSE(h.events.actions.empty());
  EXPECT_EQ(h.events.actions[0].rfind("published 3 1 1 ", 0), 0u) << h.events.actions[0];
  EXPECT_NE(h.events.actions[0].find("at " + kOwner + " via 127.0.0.1:53"), std::string::npos);

  // A run one second early does nothing.
  h.clock.time = kStart + kWindowEnd - 1s;
  h.events.actions.clear();
  report = h.run();
  EXPECT_TRUE(h.events.actions.empty());
  EXPECT_TRUE(h.deployer.deployed.empty());

  // Due: deploy, nothing left to retire (no old records), idle.
  h.clock.time = kStart + kWindowEnd;
  report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.deployer.deployed.size(), 1u);
  EXPECT_EQ(h.events.actions.back(),
            "deployed " + app::shortId(h.deployer.deployed[0]) + " for service mail");
  EXPECT_FALSE(report.next_due);
  EXPECT_EQ(h.dns.updates.size(), 1u);

  // Steady state: the deployed certificate is observed without reading its private key.
  const std::size_t key_loads = h.certificates.key_loads;
  EXPECT_GT(key_loads, 0u) << "a new candidate's key is checked before it is published";
  report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_EQ(h.certificates.key_loads, key_loads);

  // Renewal with a new key: publish B next to A, wait 1 + 2 x 3600 + 60, deploy B, retire A.
  const auto key_b = newKey();
  const std::string bundle_b = ca.bundle(key_b, {"mail.example.test"});
  const TlsaRecord record_b = record311(bundle_b);
  h.certificates.pem = bundle_b;
  const sys_seconds renewal = h.clock.time;
  report = h.run();
  ASSERT_EQ(h.dns.updates.size(), 2u);
  ASSERT_EQ(h.dns.updates[1].prerequisites.size(), 1u);
  EXPECT_EQ(h.dns.updates[1].prerequisites[0].records, std::vector<TlsaRecord>{record_a});
  EXPECT_EQ(h.dns.primary[kOwner].records, (std::vector<TlsaRecord>{record_a, record_b}));
  EXPECT_EQ(h.deployer.deployed.size(), 1u);
  ASSERT_TRUE(report.next_due);
  EXPECT_EQ(*report.next_due, renewal + 7261s);

  h.clock.time = *report.next_due;
  report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.deployer.deployed.size(), 2u);
  ASSERT_EQ(h.dns.updates.size(), 3u);
  EXPECT_TRUE(h.dns.updates[2].additions.empty());
  ASSERT_EQ(h.dns.updates[2].deletions.size(), 1u);
  EXPECT_EQ(h.dns.updates[2].deletions[0].record, record_a);
  EXPECT_EQ(h.dns.primary[kOwner].records, std::vector<TlsaRecord>{record_b});
  EXPECT_EQ(h.events.actions.back().rfind("retired 3 1 1 ", 0), 0u);
  EXPECT_FALSE(report.next_due);
  const auto owned = h.store.loadService("mail")->owned.at(kOwner);
  EXPECT_EQ(owned, std::vector<TlsaRecord>{record_b});
}

TEST(RolloverRunner, WaitModeSleepsUntilEachStepAndFinishesTheRollover) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  h.certificates.pem = ca.bundle(key, {"mail.example.test"});
  h.dns.secondary_follows = false;  // the secondary lags until the clock has moved
  auto report = [&] {
    // Let the secondary catch up as soon as the runner first sleeps.
    struct CatchUpClock final : ports::Clock {
      FakeClock& inner;
      ScriptedDns& dns;
      CatchUpClock(FakeClock& c, ScriptedDns& d) : inner(c), dns(d) {}
      sys_seconds now() override { return inner.now(); }
      void sleepFor(seconds d) override { inner.sleepFor(d), dns.secondary = dns.primary; }
      void sleepUntil(sys_seconds t) override { inner.sleepUntil(t), dns.secondary = dns.primary; }
      void sleepUntilJustBefore(sys_seconds t) override { sleepUntil(t); }
    } clock(h.clock, h.dns);
    app::RunnerPorts ports{h.dns, h.dns, h.certificates, h.store, h.deployer, clock, h.events};
    app::RunOptions options;
    options.wait = true;
    return app::runRollover(h.config, ports, options);
  }();
  ASSERT_TRUE(report.has_value());
  ASSERT_FALSE(report->failure) << report->failure->message;
  EXPECT_EQ(h.deployer.deployed.size(), 1u);
  EXPECT_FALSE(report->next_due);
  // Published at kStart; the secondary served it after the first poll (10 s); then 2 x 300 + 60.
  EXPECT_GE(h.clock.time, kStart + 670s);
  EXPECT_LE(h.clock.time, kStart + 680s);
}

TEST(RolloverRunner, KeyReuseDeploysAtOnceWithoutAnyUpdate) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  const std::string old_bundle = ca.bundle(key, {"mail.example.test"});
  const TlsaRecord record = record311(old_bundle);
  h.dns.primary[kOwner] = {{record}, 3600};
  h.dns.secondary = h.dns.primary;
  ASSERT_TRUE(h.store.recordDeployed("mail", CertificateRecords{"old-id", {record}}, kStart));
  ASSERT_TRUE(h.store.addOwnedRecords("mail", kOwner, {record}));
  h.certificates.pem = ca.bundle(key, {"mail.example.test"});  // renewed, same key

  const auto report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_TRUE(h.dns.updates.empty());
  ASSERT_EQ(h.deployer.deployed.size(), 1u);
  EXPECT_NE(h.deployer.deployed[0], "old-id");
  EXPECT_EQ(h.clock.time, kStart);
  EXPECT_EQ(h.dns.primary[kOwner].records, std::vector<TlsaRecord>{record});
}

TEST(RolloverRunner, FailedUpdateStopsTheRunAndKeepsTheOldRecords) {
  Harness h;
  TestCa ca;
  const auto old_key = newKey();
  const TlsaRecord old_record = record311(ca.bundle(old_key, {"mail.example.test"}));
  h.dns.primary[kOwner] = {{old_record}, 3600};
  h.dns.secondary = h.dns.primary;
  ASSERT_TRUE(h.store.recordDeployed("mail", CertificateRecords{"old-id", {old_record}}, kStart));
  const auto new_key = newKey();
  h.certificates.pem = ca.bundle(new_key, {"mail.example.test"});
  h.dns.update_failures.push_back(Error{
      ErrorKind::Rejected, "127.0.0.1:53 refused the update for zone example.test.: REFUSED"});

  const auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_EQ(report.failure->kind, ErrorKind::Rejected);
  EXPECT_NE(report.failure->message.find("127.0.0.1:53"), std::string::npos);
  EXPECT_NE(report.failure->message.find("old records stay"), std::string::npos);
  EXPECT_EQ(h.dns.updates.size(), 1u);  // not retried
  EXPECT_TRUE(h.deployer.deployed.empty());
  EXPECT_EQ(h.dns.primary[kOwner].records, std::vector<TlsaRecord>{old_record});
  EXPECT_EQ(h.store.loadService("mail")->deployed.id, "old-id");
}

TEST(RolloverRunner, AmbiguousUpdateIsObservedAgainNotResentBlindly) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  const std::string bundle = ca.bundle(key, {"mail.example.test"});
  h.certificates.pem = bundle;
  h.dns.update_failures.push_back(Error{ErrorKind::Ambiguous, "timeout after sending UPDATE"});
  h.dns.apply_failed_updates = true;  // the server applied it; only the reply was lost

  const auto report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_EQ(h.dns.updates.size(), 1u);  // the next round saw the records: no second UPDATE
  EXPECT_EQ(h.dns.primary[kOwner].records, std::vector<TlsaRecord>{record311(bundle)});
  ASSERT_TRUE(report.next_due);
  EXPECT_EQ(*report.next_due, kStart + kWindowEnd);

  // When the lost UPDATE had not been applied, the re-observation shows it and it is sent again.
  Harness lost;
  lost.certificates.pem = bundle;
  lost.dns.update_failures.push_back(Error{ErrorKind::Ambiguous, "timeout after sending UPDATE"});
  const auto second = lost.run();
  ASSERT_FALSE(second.failure) << second.failure->message;
  EXPECT_EQ(lost.dns.updates.size(), 2u);
  EXPECT_EQ(lost.dns.primary[kOwner].records, std::vector<TlsaRecord>{record311(bundle)});
}

TEST(RolloverRunner, PlanWritesNothingSendsNothingAndRunsNoHook) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  h.certificates.pem = ca.bundle(key, {"mail.example.test"});

  const auto report = h.run(app::RunMode::DryRun);
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_EQ(h.store.writes(), 0);
  EXPECT_TRUE(h.dns.updates.empty());
  EXPECT_TRUE(h.dns.primary.empty());
  EXPECT_TRUE(h.deployer.deployed.empty());
  ASSERT_EQ(h.events.actions.size(), 1u);
  EXPECT_EQ(h.events.actions[0].rfind("would publish 3 1 1 ", 0), 0u) << h.events.actions[0];
  ASSERT_EQ(report.services.size(), 1u);
  EXPECT_EQ(report.services[0].phase, Phase::Publishing);
}

TEST(RolloverRunner, CandidateNotCoveringEveryHostIsRefusedAndNothingChanges) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  h.config.services[0].hosts = {"mail.example.test", "mx2.example.test"};
  h.certificates.pem = ca.bundle(key, {"mail.example.test"});

  const auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_EQ(report.failure->kind, ErrorKind::InvalidInput);
  EXPECT_NE(report.failure->message.find("does not cover host mx2.example.test"), std::string::npos)
      << report.failure->message;
  EXPECT_TRUE(h.dns.updates.empty());
  EXPECT_TRUE(h.deployer.deployed.empty());
  EXPECT_EQ(h.store.writes(), 0);
}

TEST(RolloverRunner, ExpiredCandidateIsRefused) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  h.certificates.pem = ca.bundle(key, {"mail.example.test"}, kStart - std::chrono::days(100),
                                 kStart - std::chrono::days(10));
  const auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_NE(report.failure->message.find("expired at"), std::string::npos);
  EXPECT_TRUE(h.dns.updates.empty());
}

TEST(RolloverRunner, FailedDeployKeepsTheOldDeploymentAndReportsTheHook) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  h.certificates.pem = ca.bundle(key, {"mail.example.test"});
  h.run();
  h.clock.time = kStart + kWindowEnd;
  h.deployer.failure =
      Error{ErrorKind::Rejected, "hook /usr/local/bin/deploy exited with status 3"};
  const auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_EQ(report.failure->kind, ErrorKind::Rejected);
  EXPECT_NE(report.failure->message.find("exited with status 3"), std::string::npos);
  EXPECT_TRUE(h.store.loadService("mail")->deployed.id.empty());
}

TEST(RolloverRunner, UnknownServiceIsAConfigError) {
  Harness h;
  app::RunOptions options;
  options.services = {"nope"};
  const auto report = app::runRollover(h.config, h.ports, options);
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().kind, ErrorKind::Config);
}

}  // namespace
}  // namespace daneguard::testing
