// The rollover shell wired to the real adapters (ldns queries and UPDATEs with TSIG, zone and
// authority discovery, PEM loading) against BIND 9 with a primary and a secondary: a first
// enablement and a renewal with a new key, with dig as the independent oracle. Time is a fake
// clock (the planner's waits), DNS is real. State and deploys are in-memory fakes until the
// SQLite store and the hook runner are merged.
// NOT YET BUILT: add rollover_bind_test.cpp and ../unit/app/in_memory_state_store.cpp to the
// integration binary and link daneguard_app (tests/integration/CMakeLists.txt is shared).
#include <gtest/gtest.h>

#include "adapters/certificates/pem_certificate_loader.hpp"
#include "adapters/dns/ldns_dns_query.hpp"
#include "adapters/openssl/certificate_factory.hpp"
#include "adapters/publishers/publisher_directory.hpp"
#include "app/rollover_runner.hpp"
#include "integration/support/bind_fixture.hpp"
#include "support/run_command.hpp"
#include "unit/app/in_memory_state_store.hpp"

namespace daneguard::testing {
namespace {

using namespace std::chrono_literals;
namespace ossl = adapters::openssl;

class JumpingClock final : public ports::Clock {
 public:
  std::chrono::sys_seconds time =
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  std::chrono::sys_seconds now() override { return time; }
  void sleepFor(std::chrono::seconds d) override { time += d; }
  void sleepUntil(std::chrono::sys_seconds t) override { time = std::max(time, t); }
  void sleepUntilJustBefore(std::chrono::sys_seconds t) override { sleepUntil(t); }
};

class RecordingDeployer final : public ports::Deployer {
 public:
  std::vector<std::string> deployed;
  Result<void> deploy(const ports::DeployRequest& request) override {
    deployed.push_back(request.candidate_id);
    return {};
  }
};

class QuietEvents final : public app::RunEvents {
 public:
  std::vector<std::string> actions;
  void action(std::string_view, std::string_view line) override { actions.emplace_back(line); }
  void log(app::LogLevel, std::string_view, std::string_view) override {}
};

std::string bundle(const ossl::GeneratedKey& ca_key, const std::string& ca_pem,
                   const ossl::GeneratedKey& key, std::uint64_t serial,
                   std::chrono::sys_seconds now) {
  const auto leaf = ossl::issueCertificate({"mail.example.test",
                                            {"mail.example.test"},
                                            false,
                                            now - std::chrono::days(1),
                                            now + std::chrono::days(90),
                                            serial},
                                           key, ca_key, ca_pem);
  EXPECT_TRUE(leaf.has_value());
  return std::string(key.private_key_pem.revealText()) + *leaf + ca_pem;
}

TEST(RolloverAgainstBind, FirstEnablementThenRenewalWithANewKey) {
  if (!programExists("named")) GTEST_SKIP() << "named is not installed";
  BindFixture bind;
  bind.addSecondary();
  TempDir dir;
  JumpingClock clock;
  const auto ca_key = *ossl::generateKey(KeyAlgorithm::EcdsaP256);
  const auto ca_pem = *ossl::issueCertificate(
      {"CA", {}, true, clock.time - std::chrono::days(1), clock.time + std::chrono::days(900), 1},
      ca_key, ca_key);
  const auto key_a = *ossl::generateKey(KeyAlgorithm::EcdsaP256);
  const auto key_b = *ossl::generateKey(KeyAlgorithm::EcdsaP256);
  const auto pem_path = dir.write("mail.pem", bundle(ca_key, ca_pem, key_a, 2, clock.time));

  config::Config config;
  config::Rfc2136Publisher publisher;
  publisher.server = {"127.0.0.1", bind.port()};
  publisher.tsig = config::TsigKeyFile{bind.tsigKeyPath().string()};
  config.publishers.emplace("primary", publisher);
  config::Service service;
  service.name = "mail";
  service.hosts = {"mail.example.test"};
  service.ports = {25};
  service.ttl = 60;
  service.publisher = "primary";
  service.certificate = config::PemBundleSource{pem_path.string()};
  service.deploy = config::HookDeploy{{"/bin/true"}, 10s};
  service.rollover.poll_interval = 1s;
  config.services.push_back(service);

  adapters::dns::LdnsDnsQuery query({std::chrono::milliseconds(1000), 2, 16});
  adapters::publishers::DirectoryOptions directory_options;
  directory_options.authority_port = bind.port();
  adapters::publishers::ConfiguredPublisherDirectory publishers(config, query,
                                                                std::move(directory_options));
  adapters::certificates::PemCertificateLoader certificates;
  InMemoryStateStore store;
  RecordingDeployer deployer;
  QuietEvents events;
  app::RunnerPorts ports{query, publishers, certificates, store, deployer, clock, events};
  app::RunOptions options;
  options.wait = true;
  // The secondary copies the primary through NOTIFY/AXFR in real time while the fake clock
  // jumps; give it a moment whenever the runner sleeps by polling real DNS again.
  auto report = app::runRollover(config, ports, options);
  for (int attempt = 0; attempt < 20 && report && report->failure; ++attempt) {
    bind.waitForSecondarySync();
    report = app::runRollover(config, ports, options);
  }
  ASSERT_TRUE(report.has_value()) << report.error().message;
  ASSERT_FALSE(report->failure) << report->failure->message;
  ASSERT_EQ(deployer.deployed.size(), 1u);
  const std::string owner = "_25._tcp.mail.example.test.";
  EXPECT_EQ(bind.digAnswer(bind.primary(), owner, "TLSA").size() > 0, true);

  // Renewal with a new key: publish next to the old, wait, deploy, retire the old record.
  dir.write("mail.pem", bundle(ca_key, ca_pem, key_b, 3, clock.time));
  bind.waitForSecondarySync();
  report = app::runRollover(config, ports, options);
  for (int attempt = 0; attempt < 20 && report && report->failure; ++attempt) {
    bind.waitForSecondarySync();
    report = app::runRollover(config, ports, options);
  }
  ASSERT_TRUE(report.has_value()) << report.error().message;
  ASSERT_FALSE(report->failure) << report->failure->message;
  EXPECT_EQ(deployer.deployed.size(), 2u);
  bind.waitForSecondarySync();
  std::size_t tlsa_lines = 0;
  for (const std::string& line : bind.digAnswer(bind.secondary(), owner, "TLSA"))
    if (line.find("RRSIG") == std::string::npos) ++tlsa_lines;
  EXPECT_EQ(tlsa_lines, 1u);  // only the new key's record is left
}

}  // namespace
}  // namespace daneguard::testing
