#include "core/certificate.hpp"

#include <gtest/gtest.h>

namespace daneguard {
namespace {

CertificateFacts withNames(std::vector<std::string> names) {
  CertificateFacts facts;
  facts.dns_names = std::move(names);
  return facts;
}

TEST(CertificateFacts, CoversExactNamesCaseInsensitivelyWithOrWithoutTrailingDot) {
  const auto cert = withNames({"mail.example.test"});
  EXPECT_TRUE(cert.coversHost("mail.example.test"));
  EXPECT_TRUE(cert.coversHost("MAIL.Example.test."));
  EXPECT_FALSE(cert.coversHost("mx.example.test"));
  EXPECT_FALSE(cert.coversHost("example.test"));
}

TEST(CertificateFacts, WildcardCoversExactlyOneLabel) {
  const auto cert = withNames({"*.example.test"});
  EXPECT_TRUE(cert.coversHost("mx.example.test"));
  EXPECT_FALSE(cert.coversHost("example.test"));
  EXPECT_FALSE(cert.coversHost("a.b.example.test"));
  EXPECT_FALSE(cert.coversHost(".example.test"));
}

TEST(CertificateFacts, ValidityWindowIsInclusive) {
  CertificateFacts cert;
  cert.not_before = std::chrono::sys_seconds{std::chrono::seconds{100}};
  cert.not_after = std::chrono::sys_seconds{std::chrono::seconds{200}};
  EXPECT_FALSE(cert.validAt(std::chrono::sys_seconds{std::chrono::seconds{99}}));
  EXPECT_TRUE(cert.validAt(std::chrono::sys_seconds{std::chrono::seconds{100}}));
  EXPECT_TRUE(cert.validAt(std::chrono::sys_seconds{std::chrono::seconds{200}}));
  EXPECT_FALSE(cert.validAt(std::chrono::sys_seconds{std::chrono::seconds{201}}));
}

TEST(PublicKeyFacts, DescriptionNamesAlgorithmAndSize) {
  PublicKeyFacts key;
  key.algorithm = KeyAlgorithm::Rsa;
  key.bits = 2048;
  EXPECT_EQ(key.description(), "RSA-2048");
  key.algorithm = KeyAlgorithm::EcdsaP256;
  EXPECT_EQ(key.description(), "ECDSA-P256");
}

}  // namespace
}  // namespace daneguard
