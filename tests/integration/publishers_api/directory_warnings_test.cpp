// Publisher warnings reach the caller through the publisher directory's `warn` callback (the
// cli routes it into the run's events, so --log-format json stays one object per line) rather
// than being printed on stderr: deSEC's minimum TTL warning, made by fake_desec.py.
#include <gtest/gtest.h>

#include "adapters/dns/ldns_dns_query.hpp"
#include "adapters/publishers/publisher_directory.hpp"
#include "core/tlsa/tlsa_presentation.hpp"
#include "integration/publishers_api/https_fake.hpp"

namespace daneguard::testing {
namespace {

TEST(PublisherDirectoryWarnings, ApiPublisherWarningsGoToTheDirectoryCallback) {
  if (auto reason = HttpsFake::unavailableReason()) GTEST_SKIP() << *reason;
  const std::string token = "desec-write-token-0123456789abcdef";
  HttpsFake fake("fake_desec.py",
                 {"--domain", "example.test", "--token", token, "--minimum-ttl", "3600"});
  config::Config config;
  config::DesecPublisher desec;
  desec.api_url = fake.baseUrl() + "/api/v1";
  desec.token = config::ApiTokenFile{fake.tokenFile(token).string()};
  desec.common.dns.dns_server = config::ServerAddress{"127.0.0.1", 53};
  desec.common.ca_file = fake.caFile().string();
  config.publishers.emplace("desec-main", desec);

  std::vector<std::string> warnings;
  adapters::dns::LdnsDnsQuery query;
  adapters::publishers::DirectoryOptions options;
  options.warn = [&warnings](const std::string& line) { warnings.push_back(line); };
  adapters::publishers::ConfiguredPublisherDirectory directory(config, query, std::move(options));
  auto updater = directory.updater("desec-main");
  ASSERT_TRUE(updater) << updater.error().message;

  ports::UpdateRequest request;
  request.zone = "example.test.";
  request.ttl_seconds = 300;
  request.additions.push_back(
      {"_25._tcp.mail.example.test.", parseTlsaRdata("3 1 1 " + std::string(64, 'a')).value()});
  const auto applied = (*updater)->apply(request);
  ASSERT_TRUE(applied) << applied.error().message;
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("desec-main"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("minimum TTL at deSEC is 3600 s"), std::string::npos) << warnings[0];
}

}  // namespace
}  // namespace daneguard::testing
