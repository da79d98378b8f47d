// `certificate` as one table (the usual case) or as an array of tables (dual RSA + ECDSA):
// the first source is the primary, the order is kept, and broken arrays are explained.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "adapters/config_toml/config_toml.hpp"

namespace daneguard::adapters::config_toml {
namespace {

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
deploy = { type = "hook", command = ["/usr/local/bin/deploy"] }
)";

TEST(CertificateSourcesConfig, ArrayOfTablesGivesThePrimaryAndTheOthersInOrder) {
  const std::string text = std::string(kHead) + R"(
[[services.certificate]]
type = "certbot"
lineage = "mail-rsa"

[[services.certificate]]
type = "files"
key = "/etc/ssl/private/mail-ecdsa.key"
fullchain = "/etc/ssl/mail-ecdsa.pem"
)";
  const auto config = parseConfigText(text, "dual.toml");
  ASSERT_TRUE(config) << config.error().message;
  const config::Service& mail = config->services.at(0);
  EXPECT_EQ(std::get<config::CertbotLineageSource>(mail.certificate).lineage, "mail-rsa");
  ASSERT_EQ(mail.additional_certificates.size(), 1u);
  EXPECT_EQ(std::get<config::SeparateFilesSource>(mail.additional_certificates[0]).key,
            "/etc/ssl/private/mail-ecdsa.key");
  const auto sources = mail.certificateSources();
  ASSERT_EQ(sources.size(), 2u);
  EXPECT_EQ(sources[0], mail.certificate);
}

TEST(CertificateSourcesConfig, InlineArrayAndSingleTableForms) {
  const auto inline_array = parseConfigText(
      std::string(kHead) +
          R"(certificate = [{ type = "pem", path = "/a.pem" }, { type = "pem", path = "/b.pem" }])",
      "inline.toml");
  ASSERT_TRUE(inline_array) << inline_array.error().message;
  EXPECT_EQ(inline_array->services[0].additional_certificates.size(), 1u);

  const auto single = parseConfigText(
      std::string(kHead) + R"(certificate = { type = "pem", path = "/a.pem" })", "single.toml");
  ASSERT_TRUE(single) << single.error().message;
  EXPECT_TRUE(single->services[0].additional_certificates.empty());
  EXPECT_EQ(single->services[0].certificateSources().size(), 1u);
}

TEST(CertificateSourcesConfig, BrokenArraysAreExplained) {
  const auto empty = parseConfigText(std::string(kHead) + "certificate = []", "e.toml");
  ASSERT_FALSE(empty);
  EXPECT_THAT(empty.error().message, HasSubstr("services[0].certificate"));
  EXPECT_THAT(empty.error().message, HasSubstr("expected 1 to 4 certificate source tables, got 0"));

  const auto twice = parseConfigText(
      std::string(kHead) +
          R"(certificate = [{ type = "pem", path = "/a.pem" }, { type = "pem", path = "/a.pem" }])",
      "t.toml");
  ASSERT_FALSE(twice);
  EXPECT_THAT(twice.error().message,
              HasSubstr("services[0].certificate[1]: the same certificate source is listed twice"));

  const auto not_table = parseConfigText(
      std::string(kHead) + R"(certificate = [{ type = "pem", path = "/a.pem" }, "/b.pem"])",
      "n.toml");
  ASSERT_FALSE(not_table);
  EXPECT_THAT(not_table.error().message, HasSubstr("services[0].certificate[1]"));

  const auto bad_element = parseConfigText(
      std::string(kHead) +
          R"(certificate = [{ type = "pem", path = "/a.pem" }, { type = "pem", path = "b.pem" }])",
      "b.toml");
  ASSERT_FALSE(bad_element);
  EXPECT_THAT(bad_element.error().message, HasSubstr("services[0].certificate[1].path"));
}

}  // namespace
}  // namespace daneguard::adapters::config_toml
