// The certbot deploy hook's two halves: which services a renewed lineage concerns
// (servicesForLineage), and the runner's publish-only round (RunOptions::publish_only) against
// the same scripted DNS world as rollover_runner_test.cpp: publish at once, wait only for the
// servers to serve the new records, never for a cache window; deploy at once when the key was
// reused.
#include "app/certbot_hook.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "adapters/openssl/certificate_factory.hpp"
#include "adapters/openssl/pem_bundle.hpp"
#include "app/rollover_runner.hpp"
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
    EXPECT_TRUE(request.certificates.front().private_key_pem.has_value());
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

  app::RunReport hook(seconds budget = 30s, ports::Clock* other_clock = nullptr) {
    app::RunOptions options;
    options.publish_only = true;
    options.visibility_budget = budget;
    app::RunnerPorts with_clock{dns,   dns,      certificates,
                                store, deployer, other_clock != nullptr ? *other_clock : clock,
                                events};
    auto report = app::runRollover(config, with_clock, options);
    EXPECT_TRUE(report.has_value()) << (report ? "" : report.error().message);
    return report ? *report : app::RunReport{};
  }
};

/// Lets the secondary copy the primary as soon as the runner sleeps (a transfer after NOTIFY).
struct CatchUpClock final : ports::Clock {
  FakeClock& inner;
  ScriptedDns& dns;
  CatchUpClock(FakeClock& c, ScriptedDns& d) : inner(c), dns(d) {}
  sys_seconds now() override { return inner.now(); }
  void sleepFor(seconds d) override { inner.sleepFor(d), dns.secondary = dns.primary; }
  void sleepUntil(sys_seconds t) override { inner.sleepUntil(t), dns.secondary = dns.primary; }
  void sleepUntilJustBefore(sys_seconds t) override { sleepUntil(t); }
};

TEST(CertbotHookRound, NewKeyIsPublishedAndItsVisibilityDatedButNothingDeployed) {
  Harness h;
  TestCa ca;
  const std::string old_bundle = ca.bundle(newKey(), {"mail.example.test"});
  const TlsaRecord old_record = record311(old_bundle);
  h.dns.primary[kOwner] = {{old_record}, 3600};
  h.dns.secondary = h.dns.primary;
  ASSERT_TRUE(h.store.recordDeployed("mail", CertificateRecords{"old-id", {old_record}}, kStart));
  ASSERT_TRUE(h.store.addOwnedRecords("mail", kOwner, {old_record}));
  const std::string new_bundle = ca.bundle(newKey(), {"mail.example.test"});
  const TlsaRecord new_record = record311(new_bundle);
  h.certificates.pem = new_bundle;
  h.dns.secondary_follows = false;

  CatchUpClock clock(h.clock, h.dns);
  const auto report = h.hook(30s, &clock);
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.dns.updates.size(), 1u);
  ASSERT_EQ(h.dns.updates[0].additions.size(), 1u);
  EXPECT_EQ(h.dns.updates[0].additions[0].record, new_record);
  EXPECT_TRUE(h.dns.updates[0].deletions.empty());
  EXPECT_TRUE(h.deployer.deployed.empty()) << "deployed before the cache window";
  // It polled once (10 s) until the secondary served the record, then stopped.
  EXPECT_EQ(h.clock.time, kStart + 10s);
  const auto stored = h.store.loadService("mail");
  ASSERT_TRUE(stored);
  const RecordHistory* history = findHistory(stored->history.at(kOwner), new_record);
  ASSERT_NE(history, nullptr);
  ASSERT_TRUE(history->visible_since) << "the cache window must start at the renewal";
  EXPECT_LE(*history->visible_since, kStart + 11s);
  ASSERT_EQ(report.services.size(), 1u);
  EXPECT_EQ(report.services[0].phase, Phase::AwaitingCacheExpiry);
  // The old record stays: retiring it is for the scheduled run after the deploy.
  EXPECT_EQ(h.dns.primary[kOwner].records, (std::vector<TlsaRecord>{old_record, new_record}));
}

TEST(CertbotHookRound, LaggingServerIsWaitedForOnlyWithinTheBudget) {
  Harness h;
  TestCa ca;
  h.certificates.pem = ca.bundle(newKey(), {"mail.example.test"});
  h.dns.secondary_follows = false;  // never catches up
  const auto report = h.hook(25s);
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_EQ(h.dns.updates.size(), 1u);
  EXPECT_TRUE(h.deployer.deployed.empty());
  EXPECT_LE(h.clock.time, kStart + 25s);
  EXPECT_GE(h.clock.time, kStart + 20s) << "it should have polled within the budget";
  ASSERT_EQ(report.services.size(), 1u);
  EXPECT_EQ(report.services[0].phase, Phase::AwaitingVisibility);
}

TEST(CertbotHookRound, ZeroBudgetReturnsRightAfterPublishing) {
  Harness h;
  TestCa ca;
  h.certificates.pem = ca.bundle(newKey(), {"mail.example.test"});
  h.dns.secondary_follows = false;
  const auto report = h.hook(0s);
  ASSERT_FALSE(report.failure);
  EXPECT_EQ(h.dns.updates.size(), 1u);
  EXPECT_EQ(h.clock.time, kStart);
  EXPECT_EQ(h.clock.sleeps, 0);
}

TEST(CertbotHookRound, RenewalWithTheSameKeyIsDeployedAtOnceWithoutAnUpdate) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  const TlsaRecord record = record311(ca.bundle(key, {"mail.example.test"}));
  h.dns.primary[kOwner] = {{record}, 3600};
  h.dns.secondary = h.dns.primary;
  ASSERT_TRUE(h.store.recordDeployed("mail", CertificateRecords{"old-id", {record}}, kStart));
  ASSERT_TRUE(h.store.addOwnedRecords("mail", kOwner, {record}));
  h.certificates.pem = ca.bundle(key, {"mail.example.test"});

  const auto report = h.hook();
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_TRUE(h.dns.updates.empty());
  ASSERT_EQ(h.deployer.deployed.size(), 1u);
  EXPECT_NE(h.deployer.deployed[0], "old-id");
  EXPECT_EQ(h.clock.time, kStart);
}

// ---- servicesForLineage -------------------------------------------------------------------

config::Service serviceWith(const std::string& name, config::CertificateSource source) {
  config::Service service;
  service.name = name;
  service.certificate = std::move(source);
  return service;
}

std::string identity(std::string_view path) {
  return std::string(path);
}

TEST(CertbotLineage, CertbotSourceMatchesItsLiveDirectory) {
  config::Config config;
  config.services.push_back(
      serviceWith("mail", config::CertbotLineageSource{"mail.example.test", "/etc/letsencrypt"}));
  config.services.push_back(
      serviceWith("web", config::CertbotLineageSource{"www.example.test", "/etc/letsencrypt"}));
  config.services.push_back(
      serviceWith("submission", config::CertbotLineageSource{"mail.example.test", "/srv/le/"}));
  EXPECT_EQ(app::servicesForLineage(config, "/etc/letsencrypt/live/mail.example.test", identity),
            std::vector<std::string>{"mail"});
  EXPECT_EQ(app::servicesForLineage(config, "/etc/letsencrypt/live/mail.example.test/", identity),
            std::vector<std::string>{"mail"});
  EXPECT_EQ(app::servicesForLineage(config, "/srv/le/live/mail.example.test", identity),
            std::vector<std::string>{})
      << "a trailing slash in config_dir is not normalised by the identity normaliser";
  EXPECT_TRUE(app::servicesForLineage(config, "/etc/letsencrypt/live/other", identity).empty());
}

TEST(CertbotLineage, NormaliserDecidesEquality) {
  config::Config config;
  config.services.push_back(
      serviceWith("mail", config::CertbotLineageSource{"mail", "/etc/letsencrypt"}));
  const auto lower = [](std::string_view path) {
    std::string out(path);
    if (out.starts_with("/etc/le/")) out = "/etc/letsencrypt/" + out.substr(8);
    return out;
  };
  EXPECT_EQ(app::servicesForLineage(config, "/etc/le/live/mail", lower),
            std::vector<std::string>{"mail"});
}

TEST(CertbotLineage, PemAndFilesSourcesMatchTheirFileOrDirectory) {
  config::Config config;
  config.services.push_back(
      serviceWith("lego", config::PemBundleSource{"/var/lib/lego/certificates/www.pem"}));
  config::SeparateFilesSource files;
  files.key = "/etc/acme/www/www.key";
  files.fullchain = "/etc/acme/www/fullchain.cer";
  config.services.push_back(serviceWith("acmesh", files));
  EXPECT_EQ(app::servicesForLineage(config, "/var/lib/lego/certificates", identity),
            std::vector<std::string>{"lego"});
  EXPECT_EQ(app::servicesForLineage(config, "/var/lib/lego/certificates/www.pem", identity),
            std::vector<std::string>{"lego"});
  EXPECT_EQ(app::servicesForLineage(config, "/etc/acme/www", identity),
            std::vector<std::string>{"acmesh"});
  EXPECT_TRUE(app::servicesForLineage(config, "/var/lib/lego", identity).empty())
      << "only files directly in the directory count";
}

}  // namespace
}  // namespace daneguard::testing
