// `daneguard check` for publishers against a real BIND 9: the RFC 2136 access check (an UPDATE
// whose prerequisite cannot hold) under the least-privilege update-policy of
// docs/publishers.md, and the file checks of the zonefile publisher. Each check must change
// nothing, which dig confirms.
#include <gtest/gtest.h>

#include "adapters/dns/ldns_dns_query.hpp"
#include "adapters/publishers/publisher_directory.hpp"
#include "app/check/publisher_checks.hpp"
#include "integration/publishers/zonefile_bind.hpp"
#include "support/run_command.hpp"

namespace daneguard::testing {
namespace {

using app::check::Findings;
using app::check::Severity;

class PublisherAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = ZoneFileBind::unavailableReason()) GTEST_SKIP() << *reason;
    bind_.emplace();
  }

  config::Config rfc2136(const std::filesystem::path& key, const std::string& host) const {
    config::Config config;
    config::Rfc2136Publisher publisher;
    publisher.server = {"127.0.0.1", bind_->port()};
    publisher.tsig = config::TsigKeyFile{key.string()};
    config.publishers.emplace("primary", publisher);
    config::Service service;
    service.name = "mail";
    service.hosts = {host};
    service.ports = {25};
    service.publisher = "primary";
    config.services.push_back(service);
    return config;
  }

  Findings check(const config::Config& config) const {
    adapters::dns::LdnsDnsQuery query({std::chrono::milliseconds(1000), 2, 16});
    adapters::publishers::DirectoryOptions options;
    options.authority_port = bind_->port();
    adapters::publishers::ConfiguredPublisherDirectory directory(config, query, std::move(options));
    return app::check::checkPublishers(config, directory);
  }

  static std::string describe(const Findings& findings) {
    std::string text;
    for (const auto& finding : findings)
      text += finding.subject + ": " + finding.message + " | fix: " + finding.fix + "\n";
    return text;
  }

  void expectNothingChanged(const std::string& owner) const {
    const auto served = bind_->servedTlsa(owner);
    ASSERT_TRUE(served);
    EXPECT_TRUE(served->empty()) << "the check published something at " << owner;
  }

  std::optional<ZoneFileBind> bind_;
};

TEST_F(PublisherAccess, KeyAllowedByTheNarrowPolicyPasses) {
  const Findings findings = check(rfc2136(bind_->tlsaKeyFile(), "mail.dyn.test"));
  ASSERT_EQ(findings.size(), 1u) << describe(findings);
  EXPECT_EQ(findings[0].severity, Severity::Ok) << describe(findings);
  EXPECT_NE(findings[0].message.find("tlsa-key"), std::string::npos) << describe(findings);
  expectNothingChanged("_25._tcp.mail.dyn.test.");
}

TEST_F(PublisherAccess, NameOutsideThePolicyIsRefused) {
  const Findings findings = check(rfc2136(bind_->tlsaKeyFile(), "www.dyn.test"));
  ASSERT_EQ(findings.size(), 1u) << describe(findings);
  EXPECT_EQ(findings[0].severity, Severity::Error);
  EXPECT_NE(findings[0].message.find("REFUSED"), std::string::npos) << describe(findings);
  EXPECT_NE(findings[0].message.find(bind_->server()), std::string::npos) << describe(findings);
  EXPECT_NE(findings[0].message.find("_25._tcp.www.dyn.test."), std::string::npos);
  EXPECT_NE(findings[0].fix.find("update-policy"), std::string::npos);
  expectNothingChanged("_25._tcp.www.dyn.test.");
}

TEST_F(PublisherAccess, KeyWithoutAnyGrantIsRefused) {
  const Findings findings = check(rfc2136(bind_->otherKeyFile(), "mail.dyn.test"));
  ASSERT_EQ(findings.size(), 1u) << describe(findings);
  EXPECT_EQ(findings[0].severity, Severity::Error);
  EXPECT_NE(findings[0].message.find("other-key"), std::string::npos) << describe(findings);
  EXPECT_NE(findings[0].message.find("REFUSED"), std::string::npos) << describe(findings);
}

TEST_F(PublisherAccess, WrongSecretNamesKeyAndServer) {
  const Findings findings = check(rfc2136(bind_->wrongSecretKeyFile(), "mail.dyn.test"));
  ASSERT_EQ(findings.size(), 1u) << describe(findings);
  EXPECT_EQ(findings[0].severity, Severity::Error);
  EXPECT_NE(findings[0].message.find("tlsa-key"), std::string::npos) << describe(findings);
  EXPECT_NE(findings[0].message.find(bind_->server()), std::string::npos) << describe(findings);
  EXPECT_NE(findings[0].message.find("BADSIG"), std::string::npos) << describe(findings);
  EXPECT_NE(findings[0].fix.find("secret"), std::string::npos);
  expectNothingChanged("_25._tcp.mail.dyn.test.");
}

TEST_F(PublisherAccess, ZoneFilePublisherChecksFileDirectoryAndReloadCommand) {
  config::Config config;
  config::ZoneFilePublisher publisher;
  publisher.dns.dns_server = {"127.0.0.1", bind_->port()};
  publisher.file = bind_->includeFile().string();
  publisher.reload = {bind_->reloadScript().string()};
  config.publishers.emplace("local", publisher);
  config::Service service;
  service.name = "mail";
  service.hosts = {"mail.example.test"};
  service.ports = {25};
  service.publisher = "local";
  config.services.push_back(service);
  const std::string zone_before = readTextFile(bind_->directory() / "example.test.zone");

  Findings findings = check(config);
  ASSERT_EQ(findings.size(), 1u) << describe(findings);
  EXPECT_EQ(findings[0].severity, Severity::Ok) << describe(findings);
  EXPECT_EQ(findings[0].subject, "publisher 'local', zone example.test.");
  EXPECT_EQ(readTextFile(bind_->directory() / "example.test.zone"), zone_before)
      << "the check ran the reload command";

  std::get<config::ZoneFilePublisher>(config.publishers.at("local")).reload = {
      (bind_->directory() / "no-such-program").string()};
  findings = check(config);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::Error) << describe(findings);
  EXPECT_NE(findings[0].message.find("no-such-program"), std::string::npos) << describe(findings);
}

}  // namespace
}  // namespace daneguard::testing
