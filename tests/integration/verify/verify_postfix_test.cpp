// `daneguard verify --mx` against a real Postfix with STARTTLS on port 25, as a DANE client
// sees a mail domain: MX -> mail.example.test -> its address -> _25._tcp TLSA, all from a
// signed BIND zone validated by libunbound. Port 25 at 127.0.0.2 needs a private network
// namespace (root), so these tests skip where namespaces are unavailable.
// openssl s_client -starttls smtp is the independent DANE client the verdict must agree with.
#include <gtest/gtest.h>

#include "integration/support/network_namespace.hpp"
#include "integration/support/postfix_fixture.hpp"
#include "integration/verify/verify_world.hpp"
#include "support/run_command.hpp"
#include "support/test_pki.hpp"

namespace daneguard::testing {
namespace {

PostfixChainFiles pkiChain(const std::string& key_type) {
  return {testPkiDir(key_type) / "leaf.key", testPkiDir(key_type) / "fullchain.pem"};
}

bool sClientAuthenticates(const std::string& rdata) {
  const CommandResult result =
      runCommand({"openssl", "s_client", "-brief", "-starttls", "smtp", "-connect", "127.0.0.2:25",
                  "-servername", "mail.example.test", "-dane_tlsa_domain", "mail.example.test",
                  "-dane_tlsa_rrdata", rdata, "-verify_return_error"},
                 "QUIT\n");
  return result.err.find("Verification: OK") != std::string::npos;
}

class VerifyPostfixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = NetworkNamespace::unavailableReason()) GTEST_SKIP() << *reason;
    network_ = std::make_unique<NetworkNamespace>(NetworkNamespace::enterPrivate({"127.0.0.2"}));
  }

  CommandResult verifyMx(const adapters::sandbox::DnsSandbox& zone) const {
    return runCommand({DANEGUARD_BINARY, "verify", "--timeout", "8", "--mx", "example.test",
                       "--trust-anchor", zone.trustAnchorDsPath().string(), "--stub",
                       "example.test.=" + zone.primary().endpoint.toString()});
  }

  static std::string context(const CommandResult& result) {
    return "exit " + std::to_string(result.exit_code) + "\nstdout:\n" + result.out + "\nstderr:\n" +
           result.err;
  }

  std::unique_ptr<NetworkNamespace> network_;
};

TEST_F(VerifyPostfixTest, mxHostServingTheRecordedKeyAuthenticates) {
  const std::string ecdsa = opensslSpkiSha256Record(testPkiDir("ecdsa-p256") / "leaf.pem");
  const auto zone = startZone("example.test.",
                              "@ MX 10 mail\nmail A 127.0.0.2\n"
                              "_25._tcp.mail TLSA " +
                                  ecdsa + "\n");
  PostfixFixture postfix(
      {.addresses = {"127.0.0.2"}, .port = 25, .chains = {pkiChain("ecdsa-p256")}});
  const CommandResult result = verifyMx(*zone);
  EXPECT_EQ(result.exit_code, 0) << context(result) << postfix.maillog();
  EXPECT_NE(result.out.find("OK     mail.example.test[127.0.0.2]:25 ecdsa TLSv1.3 3 1 1 matched "
                            "leaf (depth 0)\n"),
            std::string::npos)
      << context(result);
  EXPECT_TRUE(sClientAuthenticates(ecdsa));
}

TEST_F(VerifyPostfixTest, dualCertificateMtaWithARecordForOnlyOneKeyFails) {
  const std::string ecdsa = opensslSpkiSha256Record(testPkiDir("ecdsa-p256") / "leaf.pem");
  const std::string rsa = opensslSpkiSha256Record(testPkiDir("rsa2048") / "leaf.pem");
  const auto zone = startZone("example.test.",
                              "@ MX 10 mail\nmail A 127.0.0.2\n"
                              "_25._tcp.mail TLSA " +
                                  ecdsa + "\n");
  PostfixFixture postfix({.addresses = {"127.0.0.2"},
                          .port = 25,
                          .chains = {pkiChain("rsa2048"), pkiChain("ecdsa-p256")}});
  const CommandResult result = verifyMx(*zone);
  EXPECT_EQ(result.exit_code, 1) << context(result);
  EXPECT_NE(result.out.find("FAIL   mail.example.test[127.0.0.2]:25 rsa: no TLSA record matches"),
            std::string::npos)
      << context(result);
  EXPECT_NE(result.out.find(rsa), std::string::npos) << "the FAIL line names the fix";
  EXPECT_NE(result.out.find("OK     mail.example.test[127.0.0.2]:25 ecdsa"), std::string::npos)
      << context(result);
}

}  // namespace
}  // namespace daneguard::testing
