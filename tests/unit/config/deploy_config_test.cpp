// The `install` and `symlinks` deploy types: every key reaches config::InstallDeploy /
// SymlinkDeploy, defaults are the documented ones, and unsafe key modes, shell-style reload
// commands and a symlinks deploy without a certbot lineage are refused at load time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "adapters/config_toml/config_toml.hpp"

namespace daneguard::adapters::config_toml {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr std::string_view kHead = R"(
[publishers.ns]
type = "rfc2136"
server = "ns1.example.com"
tsig_key_file = "/etc/daneguard/tsig.key"

[[services]]
name = "mail"
hosts = ["mail.example.com"]
ports = [25]
publisher = "ns"
)";
constexpr std::string_view kPemSource =
    "certificate = { type = \"pem\", path = \"/etc/daneguard/mail.pem\" }\n";
constexpr std::string_view kCertbotSource =
    "certificate = { type = \"certbot\", lineage = \"mail.example.com\" }\n";

Result<config::Config> parseWith(std::string_view source, std::string_view deploy) {
  return parseConfigText(std::string(kHead) + std::string(source) + std::string(deploy),
                         "deploy.toml");
}

TEST(DeployConfig, InstallTakesEveryKey) {
  const auto config = parseWith(kPemSource, R"([services.deploy]
type = "install"
directory = "/etc/daneguard/mail"
owner = "root"
group = "ssl-cert"
key_mode = "0640"
certificate_mode = 0o444
reload = [["/usr/sbin/postfix", "reload"], ["/bin/systemctl", "reload", "dovecot"]]
reload_timeout = "30s"
)");
  ASSERT_TRUE(config) << config.error().message;
  const auto* install = std::get_if<config::InstallDeploy>(&config->services[0].deploy);
  ASSERT_NE(install, nullptr);
  EXPECT_EQ(install->directory, "/etc/daneguard/mail");
  EXPECT_EQ(install->owner, "root");
  EXPECT_EQ(install->group, "ssl-cert");
  EXPECT_EQ(install->key_mode, 0640u);
  EXPECT_EQ(install->certificate_mode, 0444u);
  EXPECT_EQ(install->reload.commands,
            (std::vector<std::vector<std::string>>{{"/usr/sbin/postfix", "reload"},
                                                   {"/bin/systemctl", "reload", "dovecot"}}));
  EXPECT_EQ(install->reload.timeout, 30s);
}

TEST(DeployConfig, InstallDefaults) {
  const auto config =
      parseWith(kPemSource, "deploy = { type = \"install\", directory = \"/etc/mail-tls\" }\n");
  ASSERT_TRUE(config) << config.error().message;
  const auto& install = std::get<config::InstallDeploy>(config->services[0].deploy);
  EXPECT_EQ(install.key_mode, 0600u);
  EXPECT_EQ(install.certificate_mode, 0644u);
  EXPECT_FALSE(install.owner);
  EXPECT_FALSE(install.group);
  EXPECT_TRUE(install.reload.commands.empty());
  EXPECT_EQ(install.reload.timeout, 60s);
}

TEST(DeployConfig, KeyModesReadableByOthersOrWithoutANamedGroupAreRefused) {
  struct Case {
    std::string mode;
    std::string group;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"\"0604\"", "", "0604 is not allowed for private keys"},
      {"\"0644\"", "\"ssl-cert\"", "0644 is not allowed"},
      {"\"0660\"", "\"ssl-cert\"", "0660 is not allowed"},
      {"\"0700\"", "", "0700 is not allowed"},
      {"\"0200\"", "", "0200 is not allowed"},
      {"\"0640\"", "", "0640 gives the key to a group: also set 'group'"},
      {"640", "", "expected an octal file mode"},  // decimal 640 = 0o1200: a forgotten quote
      {"\"0x1a4\"", "", "expected an octal file mode"},
      {"\"1777\"", "", "expected an octal file mode"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mode + " group " + c.group);
    std::string deploy = "[services.deploy]\ntype = \"install\"\ndirectory = \"/etc/t\"\n";
    deploy += "key_mode = " + c.mode + "\n";
    if (!c.group.empty()) deploy += "group = " + c.group + "\n";
    const auto config = parseWith(kPemSource, deploy);
    ASSERT_FALSE(config);
    EXPECT_THAT(config.error().message, HasSubstr("services[0].deploy.key_mode: " + c.message));
  }
  for (const std::string mode : {"\"0600\"", "\"0400\"", "0o600"}) {
    const auto config = parseWith(kPemSource,
                                  "[services.deploy]\ntype = \"install\"\n"
                                  "directory = \"/etc/t\"\nkey_mode = " +
                                      mode + "\n");
    EXPECT_TRUE(config) << mode << ": " << config.error().message;
  }
}

TEST(DeployConfig, CertificateModeNeedsOwnerReadAndNoExecute) {
  for (const std::string mode : {"\"0755\"", "\"0044\""}) {
    const auto config = parseWith(kPemSource,
                                  "[services.deploy]\ntype = \"install\"\n"
                                  "directory = \"/etc/t\"\ncertificate_mode = " +
                                      mode + "\n");
    ASSERT_FALSE(config) << mode;
    EXPECT_THAT(config.error().message, HasSubstr("services[0].deploy.certificate_mode: "));
  }
}

TEST(DeployConfig, ReloadCommandsAreArgvListsWithAbsolutePrograms) {
  struct Case {
    std::string reload;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"[\"/usr/sbin/postfix reload\"]", "reload[0]: expected a command as an array of strings"},
      {"[[\"postfix\", \"reload\"]]", "reload[0][0]: must be an absolute path"},
      {"[[]]", "reload[0]: must not be empty"},
      {"[[\"/usr/sbin/postfix\", 1]]", "reload[0][1]: expected a string"},
      {"\"/usr/sbin/postfix reload\"", "reload: expected an array"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reload);
    const auto config = parseWith(kPemSource,
                                  "[services.deploy]\ntype = \"install\"\n"
                                  "directory = \"/etc/t\"\nreload = " +
                                      c.reload + "\n");
    ASSERT_FALSE(config);
    EXPECT_THAT(config.error().message, HasSubstr("services[0].deploy." + c.message));
  }
}

TEST(DeployConfig, InstallNeedsAnAbsoluteDirectory) {
  auto config = parseWith(kPemSource, "deploy = { type = \"install\" }\n");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message, HasSubstr("directory"));
  config = parseWith(kPemSource, "deploy = { type = \"install\", directory = \"mail\" }\n");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message,
              HasSubstr("services[0].deploy.directory: must be an absolute path"));
}

TEST(DeployConfig, SymlinksDefaultsToAlnitaksDaneDirectory) {
  const auto config = parseWith(kCertbotSource, R"(
[services.deploy]
type = "symlinks"
reload = [["/usr/sbin/postfix", "reload"]]
)");
  ASSERT_TRUE(config) << config.error().message;
  const auto& links = std::get<config::SymlinkDeploy>(config->services[0].deploy);
  EXPECT_EQ(links.directory, "/etc/alnitak/dane");
  EXPECT_EQ(links.reload.commands.size(), 1u);
  const auto custom =
      parseWith(kCertbotSource, "deploy = { type = \"symlinks\", directory = \"/etc/dane\" }\n");
  ASSERT_TRUE(custom) << custom.error().message;
  EXPECT_EQ(std::get<config::SymlinkDeploy>(custom->services[0].deploy).directory, "/etc/dane");
}

TEST(DeployConfig, SymlinksNeedACertbotLineage) {
  const auto config = parseWith(kPemSource, "deploy = { type = \"symlinks\" }\n");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message,
              HasSubstr("services[0].deploy: type \"symlinks\" links to certbot's archive files: "
                        "it needs a certificate of type \"certbot\""));
}

TEST(DeployConfig, UnknownTypeSuggestsTheClosest) {
  const auto config = parseWith(kPemSource, "deploy = { type = \"instal\" }\n");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message, HasSubstr("did you mean 'install'?"));
}

}  // namespace
}  // namespace daneguard::adapters::config_toml
