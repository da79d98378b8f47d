// A scripted rollover world for the runner's unit tests: one zone on a primary that accepts
// UPDATEs and a secondary that copies it (or lags, or lacks CNAMEs), a fake clock, deployer,
// certificate loader and event sink, a throwaway CA, and a Harness wiring them into
// app::runRollover. Shared by rollover_runner_test and certbot_hook_test, so that each tests
// its own behaviour against the same world.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/openssl/certificate_factory.hpp"
#include "adapters/openssl/pem_bundle.hpp"
#include "app/rollover_runner.hpp"
#include "core/tlsa/tlsa_compute.hpp"
#include "unit/app/in_memory_state_store.hpp"

namespace daneguard::testing {

using namespace std::chrono_literals;
using std::chrono::seconds;
using std::chrono::sys_seconds;

namespace ossl = adapters::openssl;

inline const std::string kZone = "example.test.";
inline const std::string kOwner = "_25._tcp.mail.example.test.";
inline const ports::DnsServer kPrimary{"127.0.0.1", 53};
inline const ports::DnsServer kSecondary{"127.0.0.2", 53};
inline constexpr std::uint32_t kSoaMinimum = 300;  // negative TTL = min(300, 600)
inline constexpr std::uint32_t kSoaTtl = 600;
inline const sys_seconds kStart{std::chrono::days(20000)};
// Full visibility is dated at the end of the second it was observed in (the clock rounds down),
// so every cache window ends one second after "observed + factor x TTL + margin".
inline constexpr auto kWindowEnd = 661s;

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
  // owner -> (target, TTL): answered as a CNAME (then the target's TLSA, as BIND does).
  std::map<std::string, std::pair<std::string, std::uint32_t>> cnames;
  bool secondary_lacks_cnames = false;

  Result<ports::DnsAnswer> query(const ports::DnsQuestion& question) override {
    const auto& zone = question.server == kPrimary ? primary : secondary;
    ports::DnsAnswer answer;
    answer.server = question.server;
    answer.authoritative = true;
    std::string name = question.name;
    if (const auto alias = cnames.find(name);
        alias != cnames.end() && !(secondary_lacks_cnames && question.server == kSecondary)) {
      ports::DnsRecord cname;
      cname.owner = name;
      cname.type = ports::DnsType::CNAME;
      cname.ttl = alias->second.second;
      cname.rdata_text = alias->second.first;
      answer.answer.push_back(cname);
      name = alias->second.first;
    }
    const auto found = zone.find(name);
    if (found == zone.end() || found->second.records.empty()) {
      answer.rcode = ports::DnsRcode::NxDomain;
      return answer;
    }
    for (const TlsaRecord& record : found->second.records) {
      ports::DnsRecord rr;
      rr.owner = name;
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
  std::vector<std::vector<Bytes>> deployed_leaves;  // per deploy, in request order
  std::optional<Error> failure;
  Result<void> deploy(const ports::DeployRequest& request) override {
    if (failure) return fail(*failure);
    EXPECT_FALSE(request.certificates.empty());
    std::vector<Bytes> leaves;
    for (const LoadedCertificate& certificate : request.certificates) {
      EXPECT_TRUE(certificate.private_key_pem.has_value());
      leaves.push_back(certificate.chain.leaf().der);
    }
    deployed.push_back(request.candidate_id);
    deployed_leaves.push_back(std::move(leaves));
    return {};
  }
};

class FakeCertificates final : public ports::CertificateLoader {
 public:
  std::string pem;
  std::map<std::string, std::string> pem_by_path;  // PemBundleSource path -> bundle; else `pem`
  std::optional<Error> failure;                    // every load fails with it
  std::size_t key_loads = 0;
  Result<LoadedCertificate> load(const config::CertificateSource& source,
                                 PrivateKeyUse key) override {
    if (failure) return fail(*failure);
    std::string text = pem;
    if (const auto* bundle = std::get_if<config::PemBundleSource>(&source))
      if (const auto found = pem_by_path.find(bundle->path); found != pem_by_path.end())
        text = found->second;
    if (key == PrivateKeyUse::Skip) {
      auto chain = ossl::loadCertificateChainFromText(text, "test bundle");
      if (!chain) return fail(chain.error());
      PublicKeyFacts facts = chain->leaf().public_key;
      return LoadedCertificate{std::move(*chain), std::nullopt, std::move(facts)};
    }
    ++key_loads;
    return ossl::loadPemBundleFromText(text, "test bundle");
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

  [[nodiscard]] const std::string& certificate() const { return certificate_; }

 private:
  ossl::GeneratedKey key_;
  std::string certificate_;
  std::uint64_t serial_ = 1;
};

inline ossl::GeneratedKey newKey() {
  return std::move(*ossl::generateKey(KeyAlgorithm::EcdsaP256));
}

inline TlsaRecord record311(const std::string& bundle) {
  const auto loaded = ossl::loadPemBundleFromText(bundle, "test");
  EXPECT_TRUE(loaded.has_value());
  return computeTlsaRecords(loaded->chain, TlsaParameters{}).front();
}

inline config::Config mailConfig() {
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

}  // namespace daneguard::testing
