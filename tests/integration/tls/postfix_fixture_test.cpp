// The Postfix fixture itself, checked with openssl s_client only (an independent DANE client):
// it serves STARTTLS with the configured chain, swaps chains on reload, and serves RSA and
// ECDSA chains side by side.
#include "integration/support/postfix_fixture.hpp"

#include <gtest/gtest.h>

#include "core/hex.hpp"
#include "support/run_command.hpp"
#include "support/test_pki.hpp"
#include "unit/core/openssl_cli_chain.hpp"

namespace daneguard::testing {
namespace {

PostfixChainFiles pkiChain(const std::string& key_type) {
  return {testPkiDir(key_type) / "leaf.key", testPkiDir(key_type) / "fullchain.pem"};
}

/// "3 1 1 <hex>" of a PEM leaf, computed with the openssl CLI.
std::string daneEeRecord(const std::filesystem::path& leaf_pem) {
  return "3 1 1 " + toHex(digestViaOpenssl(spkiDerViaOpenssl(leaf_pem), "sha256"));
}

/// s_client -starttls smtp with DANE; extra arguments e.g. {"-sigalgs", "ECDSA+SHA256"}.
CommandResult sClientDane(const std::string& address, std::uint16_t port, const std::string& rrdata,
                          std::vector<std::string> extra = {}) {
  const bool v6 = address.find(':') != std::string::npos;
  std::vector<std::string> argv{"openssl",
                                "s_client",
                                "-brief",
                                "-starttls",
                                "smtp",
                                "-connect",
                                (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port),
                                "-servername",
                                "mail.example.test",
                                "-dane_tlsa_domain",
                                "mail.example.test",
                                "-dane_tlsa_rrdata",
                                rrdata,
                                "-verify_return_error"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return runCommand(argv, "QUIT\n");
}

TEST(PostfixFixture, ServesStartTlsWithTheConfiguredChainAndSwapsItOnReload) {
  PostfixFixture postfix({.addresses = {"127.0.0.1", "::1"}, .chains = {pkiChain("rsa2048")}});
  ASSERT_TRUE(postfix.running());
  const std::string rsa = daneEeRecord(testPkiDir("rsa2048") / "leaf.pem");
  const std::string ecdsa = daneEeRecord(testPkiDir("ecdsa-p256") / "leaf.pem");
  for (const auto& address : postfix.addresses()) {
    const auto ok = sClientDane(address, postfix.port(), rsa);
    EXPECT_NE(ok.err.find("Verification: OK"), std::string::npos) << address << ok.err;
    EXPECT_NE(ok.err.find("matched EE certificate at depth 0"), std::string::npos) << ok.err;
  }

  postfix.replaceChain(0, pkiChain("ecdsa-p256"));
  postfix.reload();
  const auto after = sClientDane("127.0.0.1", postfix.port(), ecdsa);
  EXPECT_NE(after.err.find("Verification: OK"), std::string::npos) << after.err;
  const auto old = sClientDane("127.0.0.1", postfix.port(), rsa);
  EXPECT_EQ(old.err.find("Verification: OK"), std::string::npos) << old.err;
  EXPECT_NE(old.exit_code, 0);

  postfix.stop();
  EXPECT_FALSE(postfix.running());
}

TEST(PostfixFixture, ServesRsaAndEcdsaChainsSideBySide) {
  PostfixFixture postfix({.chains = {pkiChain("rsa2048"), pkiChain("ecdsa-p256")}});
  const std::string rsa = daneEeRecord(testPkiDir("rsa2048") / "leaf.pem");
  const std::string ecdsa = daneEeRecord(testPkiDir("ecdsa-p256") / "leaf.pem");
  const auto as_rsa =
      sClientDane("127.0.0.1", postfix.port(), rsa, {"-sigalgs", "rsa_pss_rsae_sha256:RSA+SHA256"});
  EXPECT_NE(as_rsa.err.find("Verification: OK"), std::string::npos) << as_rsa.err;
  const auto as_ecdsa =
      sClientDane("127.0.0.1", postfix.port(), ecdsa, {"-sigalgs", "ECDSA+SHA256"});
  EXPECT_NE(as_ecdsa.err.find("Verification: OK"), std::string::npos) << as_ecdsa.err;
}

}  // namespace
}  // namespace daneguard::testing
