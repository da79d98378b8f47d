// OpenSslTlsProbe against a real Postfix (multi-line EHLO reply, STARTTLS), v4 and v6, with
// RSA + ECDSA chains side by side; verdicts cross-checked with `openssl s_client`.
#include <gtest/gtest.h>

#include "adapters/tls/openssl_tls_probe.hpp"
#include "integration/support/postfix_fixture.hpp"
#include "integration/tls/tls_probe_test_support.hpp"
#include "support/run_command.hpp"
#include "support/test_pki.hpp"

namespace daneguard::testing {
namespace {

using adapters::tls::OpenSslTlsProbe;
using adapters::tls::signatureAlgorithmsFor;
using ports::ProbeKeyType;

PostfixChainFiles pkiChain(const std::string& key_type) {
  return {testPkiDir(key_type) / "leaf.key", testPkiDir(key_type) / "fullchain.pem"};
}

TlsaRecord daneEe(const std::string& key_type) {
  return cliTlsaRecord(TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha256,
                       testPkiDir(key_type) / "leaf.pem");
}

TEST(PostfixProbe, AuthenticatesEveryAddressAndKeyTypeOfADualCertificatePostfix) {
  PostfixFixture postfix(
      {.addresses = {"127.0.0.1", "::1"}, .chains = {pkiChain("rsa2048"), pkiChain("ecdsa-p256")}});
  OpenSslTlsProbe prober;
  const std::vector<TlsaRecord> records{daneEe("rsa2048"), daneEe("ecdsa-p256")};
  for (const auto& address : postfix.addresses()) {
    for (const auto& [key_type, pki] :
         {std::pair{ProbeKeyType::Rsa, "rsa2048"}, std::pair{ProbeKeyType::Ecdsa, "ecdsa-p256"}}) {
      SCOPED_TRACE(address + " " + pki);
      auto target = probeTarget(postfix.port(), StartTlsProtocol::Smtp, records, address);
      target.key_type = key_type;
      const auto result = prober.probe(target);
      ASSERT_TRUE(result) << result.error().message << "\n" << postfix.maillog();
      EXPECT_EQ(result->presented.leaf().der, cliDer({testPkiDir(pki) / "leaf.pem"})[0]);
      ASSERT_EQ(result->presented.certificates.size(), 2U);
      EXPECT_TRUE(result->dane.authenticated) << result->dane.reason;
      EXPECT_EQ(result->dane.depth, 0);

      const auto oracle = sClientDane(address, postfix.port(), "smtp", records,
                                      {"-sigalgs", signatureAlgorithmsFor(key_type)});
      EXPECT_TRUE(oracle.verified) << oracle.transcript;
      EXPECT_EQ(oracle.depth, 0);
    }
  }
}

TEST(PostfixProbe, ARecordForOnlyOneKeyTypeLeavesTheOtherUnauthenticated) {
  PostfixFixture postfix({.chains = {pkiChain("rsa2048"), pkiChain("ecdsa-p256")}});
  OpenSslTlsProbe prober;
  auto target = probeTarget(postfix.port(), StartTlsProtocol::Smtp, {daneEe("ecdsa-p256")});
  target.key_type = ProbeKeyType::Rsa;
  const auto rsa = prober.probe(target);
  ASSERT_TRUE(rsa) << rsa.error().message;
  EXPECT_FALSE(rsa->dane.authenticated);
  EXPECT_NE(rsa->dane.reason.find("no matching DANE TLSA records"), std::string::npos);
  EXPECT_FALSE(sClientDane("127.0.0.1", postfix.port(), "smtp", target.tlsa,
                           {"-sigalgs", signatureAlgorithmsFor(ProbeKeyType::Rsa)})
                   .verified);

  target.key_type = ProbeKeyType::Ecdsa;
  const auto ecdsa = prober.probe(target);
  ASSERT_TRUE(ecdsa) << ecdsa.error().message;
  EXPECT_TRUE(ecdsa->dane.authenticated) << ecdsa->dane.reason;
}

TEST(PostfixProbe, ServesTheReplacedChainAfterTheReload) {
  PostfixFixture postfix({.chains = {pkiChain("rsa2048")}});
  OpenSslTlsProbe prober;
  const auto target = probeTarget(postfix.port(), StartTlsProtocol::Smtp, {daneEe("ecdsa-p384")});
  postfix.replaceChain(0, pkiChain("ecdsa-p384"));
  // Postfix smtpd processes that are already running keep the old chain until the reload.
  postfix.reload();
  const auto after = prober.probe(target);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_TRUE(after->dane.authenticated) << after->dane.reason;
  EXPECT_EQ(after->presented.leaf().der, cliDer({testPkiDir("ecdsa-p384") / "leaf.pem"})[0]);
}

/// Postfix's own TLS client: `posttls-finger -l fingerprint` matches SHA-256 public-key
/// digests with Postfix's DANE-EE code (the same check as a "3 1 1" record) and prints
/// "Verified TLS connection" on a match, "Untrusted TLS connection" otherwise.
std::string posttlsFinger(const PostfixFixture& postfix, const TlsaRecord& record) {
  std::string fingerprint;
  for (const std::uint8_t byte : record.data) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    if (!fingerprint.empty()) fingerprint += ':';
    fingerprint += kHex[byte >> 4U];
    fingerprint += kHex[byte & 0xfU];
  }
  const auto result = runCommand({"env", "MAIL_CONFIG=" + postfix.configDirectory().string(),
                                  "posttls-finger", "-c", "-l", "fingerprint", "-d", "sha256",
                                  "[127.0.0.1]:" + std::to_string(postfix.port()), fingerprint});
  return result.out + result.err;
}

TEST(PostfixProbe, VerdictsAgreeWithPosttlsFinger) {
  if (!programExists("posttls-finger")) GTEST_SKIP() << "posttls-finger (postfix) not installed";
  PostfixFixture postfix({.chains = {pkiChain("rsa2048")}});
  OpenSslTlsProbe prober;
  for (const auto& [pki, served] : {std::pair{"rsa2048", true}, std::pair{"ecdsa-p256", false}}) {
    SCOPED_TRACE(pki);
    const TlsaRecord record = daneEe(pki);
    const auto result = prober.probe(probeTarget(postfix.port(), StartTlsProtocol::Smtp, {record}));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->dane.authenticated, served) << result->dane.reason;
    const std::string finger = posttlsFinger(postfix, record);
    EXPECT_EQ(finger.find("Verified TLS connection established") != std::string::npos, served)
        << finger;
    EXPECT_EQ(finger.find("Untrusted TLS connection established") != std::string::npos, !served)
        << finger;
  }
}

}  // namespace
}  // namespace daneguard::testing
