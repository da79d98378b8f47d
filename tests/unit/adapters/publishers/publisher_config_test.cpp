// The `external` and `zonefile` publisher tables and their common dns_server keys.
#include <gtest/gtest.h>

#include "adapters/config_toml/config_toml.hpp"

namespace daneguard::adapters::config_toml {
namespace {

constexpr std::string_view kService = R"(
[[services]]
name = "mail"
hosts = ["mail.example.com"]
ports = [25]
publisher = "p"
certificate = { type = "pem", path = "/etc/ssl/mail.pem" }
deploy = { type = "hook", command = ["/usr/local/bin/deploy"] }
)";

Result<config::Config> parse(const std::string& publisher) {
  return parseConfigText("[publishers.p]\n" + publisher + std::string(kService), "test.toml");
}

TEST(PublisherConfig, ExternalProgram) {
  auto config = parse(R"(type = "external"
dns_server = "192.0.2.53:5353"
zone = "Example.COM."
extra_servers = ["192.0.2.54"]
command = ["/usr/local/sbin/tlsa-api", "--zone", "example.com"]
timeout = "5m"
)");
  ASSERT_TRUE(config) << config.error().message;
  const auto& external = std::get<config::ExternalProgramPublisher>(*config->findPublisher("p"));
  EXPECT_EQ(external.dns.dns_server, (config::ServerAddress{"192.0.2.53", 5353}));
  EXPECT_EQ(external.dns.zone, "example.com");
  EXPECT_EQ(external.dns.extra_servers, (std::vector<config::ServerAddress>{{"192.0.2.54", 53}}));
  EXPECT_EQ(external.command,
            (std::vector<std::string>{"/usr/local/sbin/tlsa-api", "--zone", "example.com"}));
  EXPECT_EQ(external.timeout, std::chrono::seconds(300));
}

TEST(PublisherConfig, ZoneFile) {
  auto config = parse(R"(type = "zonefile"
dns_server = "127.0.0.1"
file = "/var/lib/daneguard/example.com.tlsa"
reload = ["/usr/sbin/rndc", "reload", "example.com"]
)");
  ASSERT_TRUE(config) << config.error().message;
  const auto& zonefile = std::get<config::ZoneFilePublisher>(*config->findPublisher("p"));
  EXPECT_EQ(zonefile.dns.dns_server, (config::ServerAddress{"127.0.0.1", 53}));
  EXPECT_FALSE(zonefile.dns.zone);
  EXPECT_EQ(zonefile.file, "/var/lib/daneguard/example.com.tlsa");
  EXPECT_EQ(zonefile.reload.size(), 3u);
  EXPECT_EQ(zonefile.timeout, std::chrono::seconds(60));
}

TEST(PublisherConfig, RefusesMissingKeysRelativeProgramsAndTsigKeys) {
  auto missing = parse("type = \"zonefile\"\n");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("dns_server"), std::string::npos)
      << missing.error().message;
  EXPECT_NE(missing.error().message.find("file"), std::string::npos);
  EXPECT_NE(missing.error().message.find("reload"), std::string::npos);

  auto relative = parse(R"(type = "external"
dns_server = "127.0.0.1"
command = ["tlsa-api"]
)");
  ASSERT_FALSE(relative);
  EXPECT_NE(relative.error().message.find("publishers.p.command[0]"), std::string::npos)
      << relative.error().message;

  auto foreign_key = parse(R"(type = "external"
dns_server = "127.0.0.1"
command = ["/bin/true"]
tsig_key_file = "/etc/key"
)");
  ASSERT_FALSE(foreign_key);
  EXPECT_NE(foreign_key.error().message.find("tsig_key_file"), std::string::npos);
}

}  // namespace
}  // namespace daneguard::adapters::config_toml
