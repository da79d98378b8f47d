// The rollover shell with probing on: a scripted DNS world (primary + secondary that copies it),
// a fake TLS prober whose servers present whatever the fake deploy hook installed (or kept, for a
// hook that "forgets" to reload), and a DANE verdict computed by core's own matcher, independent
// of the runner. Shows: verification before retiring, a failed verification keeps the old
// records and is re-probed by the next run, and a candidate already served needs no hook.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "adapters/openssl/certificate_factory.hpp"
#include "adapters/openssl/pem_bundle.hpp"
#include "app/rollover_runner.hpp"
#include "core/tlsa/tlsa_compute.hpp"
#include "core/tlsa/tlsa_match.hpp"
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
const sys_seconds kStart{std::chrono::days(20000)};
const std::string kV4 = "192.0.2.25";
const std::string kV6 = "2001:db8::25";

/// One zone on a primary that applies UPDATEs and a secondary that copies it at once.
class ScriptedDns final : public ports::DnsQuery,
                          public ports::ZoneLocator,
                          public ports::DnsUpdate,
                          public ports::PublisherDirectory {
 public:
  std::map<std::string, std::vector<TlsaRecord>> primary;
  std::map<std::string, std::vector<TlsaRecord>> secondary;
  std::vector<ports::UpdateRequest> updates;

  Result<ports::DnsAnswer> query(const ports::DnsQuestion& question) override {
    const auto& zone = question.server == kPrimary ? primary : secondary;
    ports::DnsAnswer answer;
    answer.server = question.server;
    answer.authoritative = true;
    const auto found = zone.find(question.name);
    if (found == zone.end() || found->second.empty()) {
      answer.rcode = ports::DnsRcode::NxDomain;
      return answer;
    }
    for (const TlsaRecord& record : found->second) {
      ports::DnsRecord rr;
      rr.owner = question.name;
      rr.type = ports::DnsType::TLSA;
      rr.ttl = 60;
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
    soa.ttl = 60;
    soa.minimum = 60;
    return ports::ZoneApex{kZone, soa};
  }
  Result<std::vector<ports::AuthoritativeServer>> authoritativeAddresses(
      const std::string& /*zone*/) override {
    return std::vector<ports::AuthoritativeServer>{{"update target", kPrimary},
                                                   {"ns2.example.test.", kSecondary}};
  }
  Result<ports::UpdateOutcome> apply(const ports::UpdateRequest& request) override {
    updates.push_back(request);
    for (const auto& deletion : request.deletions)
      std::erase(primary[deletion.owner], deletion.record);
    for (const auto& addition : request.additions)
      if (std::ranges::find(primary[addition.owner], addition.record) ==
          primary[addition.owner].end())
        primary[addition.owner].push_back(addition.record);
    secondary = primary;
    return ports::UpdateOutcome{request.server, request.zone, request.additions.size(),
                                request.deletions.size(), false};
  }
  Result<ports::PublisherDns> publisher(std::string_view /*name*/) override {
    return ports::PublisherDns{kPrimary, this};
  }
  Result<ports::DnsUpdate*> updater(std::string_view /*name*/) override { return this; }
};

class FakeClock final : public ports::Clock {
 public:
  sys_seconds time = kStart;
  sys_seconds now() override { return time; }
  void sleepFor(seconds duration) override { time += duration; }
  void sleepUntil(sys_seconds instant) override { time = std::max(time, instant); }
  void sleepUntilJustBefore(sys_seconds instant) override { sleepUntil(instant); }
};

class FakeCertificates final : public ports::CertificateLoader {
 public:
  std::string pem;
  Result<LoadedCertificate> load(const config::CertificateSource& /*source*/,
                                 PrivateKeyUse /*key*/) override {
    return ossl::loadPemBundleFromText(pem, "test bundle");
  }
};

class RecordingEvents final : public app::RunEvents {
 public:
  std::vector<std::string> actions;
  void action(std::string_view /*service*/, std::string_view line) override {
    actions.emplace_back(line);
  }
  void log(app::LogLevel /*level*/, std::string_view /*service*/,
           std::string_view /*message*/) override {}
};

/// The mail server's addresses, each presenting its installed chain; what DANE says is decided by
/// core's matcher over the records the runner passed, so a wrong RRset cannot authenticate.
class FakeServers final : public ports::TlsProbe, public ports::HostAddresses {
 public:
  std::map<std::string, CertificateChain> served;  // by address
  std::set<std::string> unreachable;
  std::vector<ports::ProbeTarget> probes;

  void serveEverywhere(const std::string& bundle) {
    const auto chain = ossl::loadPemBundleFromText(bundle, "served")->chain;
    served[kV4] = chain;
    served[kV6] = chain;
  }

  Result<std::vector<std::string>> resolve(const std::string& host) override {
    if (host != "mail.example.test") return fail(ErrorKind::NotFound, "unknown host " + host);
    return std::vector<std::string>{kV4, kV6};
  }

  Result<ports::ProbeResult> probe(const ports::ProbeTarget& target) override {
    probes.push_back(target);
    if (unreachable.contains(target.address))
      return fail(ErrorKind::Transient, target.describe() + ": connection refused");
    ports::ProbeResult result;
    result.target = target;
    result.presented = served.at(target.address);
    if (!target.tlsa.empty()) {
      const TlsaMatchReport report = matchTlsaRecords(result.presented, target.tlsa);
      result.dane.authenticated = report.authenticates;
      if (!report.authenticates) result.dane.reason = "no TLSA record matched";
      for (const TlsaRecordMatch& match : report.records)
        if (match.status == TlsaRecordStatus::Matches) {
          result.dane.matched = match.record;
          result.dane.depth = static_cast<int>(*match.depth);
          break;
        }
    }
    return result;
  }
};

/// Installs the candidate on the servers, like a hook that copies the files and reloads; a
/// "forgetful" one copies them but never reloads, so the old chain stays served.
class ReloadingDeployer final : public ports::Deployer {
 public:
  FakeServers& servers;
  FakeCertificates& certificates;
  bool reloads = true;
  std::vector<std::string> deployed;
  ReloadingDeployer(FakeServers& servers_in, FakeCertificates& certificates_in)
      : servers(servers_in), certificates(certificates_in) {}
  Result<void> deploy(const ports::DeployRequest& request) override {
    deployed.push_back(request.candidate_id);
    if (reloads) servers.serveEverywhere(certificates.pem);
    return {};
  }
};

class TestCa {
 public:
  TestCa() {
    key_ = std::move(*ossl::generateKey(KeyAlgorithm::EcdsaP256));
    certificate_ = *ossl::issueCertificate(
        {"test CA", {}, true, kStart - std::chrono::days(10), kStart + std::chrono::days(3650), 1},
        key_, key_);
  }
  std::string bundle() {
    const auto key = std::move(*ossl::generateKey(KeyAlgorithm::EcdsaP256));
    const auto leaf = ossl::issueCertificate({"mail.example.test",
                                              {"mail.example.test"},
                                              false,
                                              kStart - std::chrono::days(1),
                                              kStart + std::chrono::days(90),
                                              ++serial_},
                                             key, key_, certificate_);
    EXPECT_TRUE(leaf.has_value());
    return std::string(key.private_key_pem.revealText()) + *leaf + certificate_;
  }

 private:
  ossl::GeneratedKey key_;
  std::string certificate_;
  std::uint64_t serial_ = 1;
};

TlsaRecord record311(const std::string& bundle) {
  const auto loaded = ossl::loadPemBundleFromText(bundle, "test");
  return computeTlsaRecords(loaded->chain, TlsaParameters{}).front();
}

std::string idOf(const std::string& bundle) {
  return app::certificateId(ossl::loadPemBundleFromText(bundle, "test")->chain);
}

config::Config mailConfig() {
  config::Config config;
  config::Service service;
  service.name = "mail";
  service.hosts = {"mail.example.test"};
  service.ports = {25};
  service.ttl = 60;
  service.publisher = "primary";
  service.certificate = config::PemBundleSource{"/unused.pem"};
  service.deploy = config::HookDeploy{{"/bin/true"}, 10s};
  service.rollover.cache_factor = 1;
  service.rollover.margin = 1s;
  service.rollover.poll_interval = 1s;
  service.probe.configured = true;  // as a [services.mail.probe] table does
  config.services.push_back(service);
  config.publishers.emplace("primary", config::Rfc2136Publisher{});
  return config;
}

struct Harness {
  ScriptedDns dns;
  FakeCertificates certificates;
  InMemoryStateStore store;
  FakeServers servers;
  ReloadingDeployer deployer{servers, certificates};
  FakeClock clock;
  RecordingEvents events;
  config::Config config = mailConfig();
  app::RunnerPorts ports{dns,   dns,    certificates, store,   deployer,
                         clock, events, &servers,     &servers};

  app::RunReport run(bool wait = true) {
    app::RunOptions options;
    options.wait = wait;
    auto report = app::runRollover(config, ports, options);
    EXPECT_TRUE(report.has_value()) << (report ? "" : report.error().message);
    return report ? *report : app::RunReport{};
  }
  std::string verifiedId() { return store.loadService("mail")->verified_id.value_or(""); }
  std::string deployedId() { return store.loadService("mail")->deployed.id; }
};

/// A serves everywhere and is deployed, verified and alone in DNS.
struct Enabled {
  Harness h;
  TestCa ca;
  std::string bundle_a = ca.bundle();
  Enabled() {
    h.certificates.pem = bundle_a;
    h.servers.serveEverywhere(bundle_a);
    const auto report = h.run();
    EXPECT_FALSE(report.failure) << report.failure->message;
  }
};

TEST(RolloverProbeRunner, FirstEnablementOfAServedCertificateNeedsNoHook) {
  Enabled world;
  Harness& h = world.h;
  EXPECT_TRUE(h.deployer.deployed.empty()) << "the server already serves it";
  EXPECT_EQ(h.deployedId(), idOf(world.bundle_a));
  EXPECT_EQ(h.verifiedId(), idOf(world.bundle_a));
  EXPECT_EQ(h.dns.secondary[kOwner], std::vector<TlsaRecord>{record311(world.bundle_a)});
}

TEST(RolloverProbeRunner, RenewalIsVerifiedOnEveryAddressBeforeTheOldRecordIsRetired) {
  Enabled world;
  Harness& h = world.h;
  const std::string bundle_b = world.ca.bundle();
  h.certificates.pem = bundle_b;
  h.servers.probes.clear();
  const auto report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.deployer.deployed, std::vector<std::string>{idOf(bundle_b)});
  EXPECT_EQ(h.verifiedId(), idOf(bundle_b));
  EXPECT_EQ(h.dns.secondary[kOwner], std::vector<TlsaRecord>{record311(bundle_b)});

  // The verification probes: both addresses, SMTP by port, SNI = the TLSA base domain, and the
  // RRset served at that moment (old + new) as the records to authenticate against.
  std::set<std::string> verified_addresses;
  for (const ports::ProbeTarget& target : h.servers.probes) {
    if (target.tlsa.empty()) continue;
    verified_addresses.insert(target.address);
    EXPECT_EQ(target.protocol, StartTlsProtocol::Smtp);
    EXPECT_EQ(target.key_type, ports::ProbeKeyType::Ecdsa) << "the candidate's key type";
    EXPECT_EQ(target.sni, "mail.example.test");
    EXPECT_EQ(target.port, 25);
    EXPECT_EQ(target.tlsa.size(), 2u);
  }
  EXPECT_EQ(verified_addresses, (std::set<std::string>{kV4, kV6}));
  // Retired only after the verification.
  const auto verified = std::ranges::find_if(
      h.events.actions, [](const std::string& line) { return line.rfind("verified ", 0) == 0; });
  const auto retired = std::ranges::find_if(
      h.events.actions, [](const std::string& line) { return line.rfind("retired ", 0) == 0; });
  ASSERT_NE(verified, h.events.actions.end());
  ASSERT_NE(retired, h.events.actions.end());
  EXPECT_LT(verified, retired);
}

TEST(RolloverProbeRunner, HookThatForgetsToReloadFailsTheRunAndKeepsTheOldRecord) {
  Enabled world;
  Harness& h = world.h;
  const std::string bundle_b = world.ca.bundle();
  const TlsaRecord record_a = record311(world.bundle_a);
  const TlsaRecord record_b = record311(bundle_b);
  h.certificates.pem = bundle_b;
  h.deployer.reloads = false;
  auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_EQ(report.failure->kind, ErrorKind::VerificationFailed);
  const std::string& message = report.failure->message;
  EXPECT_NE(message.find("mail.example.test[" + kV4 + "]:25"), std::string::npos) << message;
  EXPECT_NE(message.find("mail.example.test[" + kV6 + "]:25"), std::string::npos) << message;
  EXPECT_NE(message.find("serves " + app::shortId(idOf(world.bundle_a))), std::string::npos)
      << message;
  EXPECT_NE(message.find("old records stay"), std::string::npos) << message;
  EXPECT_EQ(h.deployer.deployed.size(), 1u);
  EXPECT_EQ(h.verifiedId(), "");
  const std::vector<TlsaRecord> both{record_a, record_b};
  EXPECT_EQ(h.dns.primary[kOwner], both) << "nothing retired";
  for (const auto& update : h.dns.updates)
    EXPECT_TRUE(update.deletions.empty());

  // The next run probes again before retiring anything, and fails again.
  const std::size_t probes_before = h.servers.probes.size();
  report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_EQ(report.failure->kind, ErrorKind::VerificationFailed);
  EXPECT_GT(h.servers.probes.size(), probes_before);
  EXPECT_EQ(h.dns.primary[kOwner], both);
  EXPECT_EQ(h.deployer.deployed.size(), 1u) << "the deploy itself is not repeated";

  // The operator reloads by hand: the next run confirms and only then retires the old record.
  h.servers.serveEverywhere(bundle_b);
  report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_EQ(h.verifiedId(), idOf(bundle_b));
  EXPECT_EQ(h.dns.primary[kOwner], std::vector<TlsaRecord>{record_b});
}

TEST(RolloverProbeRunner, OneStaleAddressIsNamedAlone) {
  Enabled world;
  Harness& h = world.h;
  const std::string bundle_b = world.ca.bundle();
  h.certificates.pem = bundle_b;
  h.run(false);  // publishes B's record; the cache window has not passed yet
  // As if the hook had run: v4 got B, the v6 backend still serves A.
  h.servers.serveEverywhere(bundle_b);
  h.servers.served[kV6] = ossl::loadPemBundleFromText(world.bundle_a, "a")->chain;
  h.store.recordDeployed("mail", CertificateRecords{idOf(bundle_b), {record311(bundle_b)}},
                         h.clock.now());
  const auto failed = h.run();
  ASSERT_TRUE(failed.failure);
  const std::string& message = failed.failure->message;
  EXPECT_NE(message.find("[" + kV6 + "]"), std::string::npos) << message;
  EXPECT_EQ(message.find("[" + kV4 + "]"), std::string::npos) << message;
  EXPECT_NE(message.find("failed on 1 of 2"), std::string::npos) << message;

  h.servers.served[kV6] = h.servers.served[kV4];
  h.servers.unreachable.insert(kV4);
  const auto refused = h.run();
  ASSERT_TRUE(refused.failure);
  EXPECT_NE(refused.failure->message.find("connection refused"), std::string::npos);
  EXPECT_FALSE(h.dns.primary[kOwner].empty());
  EXPECT_NE(std::ranges::find(h.dns.primary[kOwner], record311(world.bundle_a)),
            h.dns.primary[kOwner].end())
      << "the old record stays while any endpoint fails";
}

TEST(RolloverProbeRunner, CandidateAlreadyServedOnlyReconcilesRecords) {
  Enabled world;
  Harness& h = world.h;
  const std::string bundle_b = world.ca.bundle();
  h.certificates.pem = bundle_b;
  h.servers.serveEverywhere(bundle_b);  // the operator installed it already
  const auto report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_TRUE(h.deployer.deployed.empty()) << "no hook for a certificate already served";
  EXPECT_EQ(h.deployedId(), idOf(bundle_b));
  EXPECT_EQ(h.verifiedId(), idOf(bundle_b));
  EXPECT_EQ(h.dns.primary[kOwner], std::vector<TlsaRecord>{record311(bundle_b)});
  EXPECT_TRUE(std::ranges::any_of(h.events.actions, [](const std::string& line) {
    return line.find("hook not run") != std::string::npos;
  }));
}

TEST(RolloverProbeRunner, PartlyServedCandidateStillWaitsAndDeploys) {
  Enabled world;
  Harness& h = world.h;
  const std::string bundle_b = world.ca.bundle();
  h.certificates.pem = bundle_b;
  h.servers.served[kV4] = ossl::loadPemBundleFromText(bundle_b, "b")->chain;  // v6 still on A
  const auto report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_EQ(h.deployer.deployed, std::vector<std::string>{idOf(bundle_b)})
      << "one address serving it is not enough to skip the hook";
}

TEST(RolloverProbeRunner, WithoutAProbeTableNothingIsProbed) {
  Harness h;
  TestCa ca;
  h.config.services[0].probe = config::ProbeSettings{};
  const std::string bundle_a = ca.bundle();
  h.certificates.pem = bundle_a;
  h.servers.serveEverywhere(bundle_a);
  const auto report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_TRUE(h.servers.probes.empty());
  EXPECT_EQ(h.deployer.deployed.size(), 1u) << "without probes the hook runs as before";
}

TEST(RolloverProbeRunner, PortWithoutConventionNeedsStarttls) {
  Harness h;
  TestCa ca;
  h.config.services[0].probe.endpoints = {config::ServerAddress{"mail.example.test", 2525}};
  const std::string bundle_a = ca.bundle();
  h.certificates.pem = bundle_a;
  h.servers.serveEverywhere(bundle_a);
  auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_NE(report.failure->message.find("set starttls"), std::string::npos)
      << report.failure->message;
  EXPECT_EQ(h.dns.primary[kOwner], std::vector<TlsaRecord>{record311(bundle_a)})
      << "the records are still published; only verification is missing";

  h.config.services[0].probe.starttls = StartTlsProtocol::Smtp;
  report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_FALSE(h.servers.probes.empty());
  EXPECT_EQ(h.servers.probes.back().port, 2525);
  EXPECT_EQ(h.servers.probes.back().sni, "mail.example.test");
  EXPECT_EQ(h.servers.probes.back().tlsa, std::vector<TlsaRecord>{record311(bundle_a)})
      << "a backend endpoint is checked against the service's owner name";
}

}  // namespace
}  // namespace daneguard::testing
