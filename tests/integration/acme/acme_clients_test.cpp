// daneguard with the real ACME clients from Debian (certbot with the dns-rfc2136 plugin, lego)
// against a real Pebble that validates DNS-01 through the test BIND, end to end with the real
// daneguard binary: key reuse renewals (no DNS change, immediate deploy), renewals with a new key
// (full rollover), lego --pem bundles, and certbot's --deploy-hook calling `certbot-hook`.
// Record TTL 2 s, cache factor 1 or 2, margin and poll interval 1 s keep each test short.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "integration/acme/acme_world.hpp"
#include "integration/support/e2e_world.hpp"  // pollUntil, wallClockNow

namespace daneguard::testing {
namespace {

using namespace std::chrono_literals;
using Records = std::multiset<std::string>;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string both(const CommandResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\n--- stdout\n" + result.out +
         "--- stderr\n" + result.err;
}

class AcmeClients : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = AcmeWorld::unavailableReason()) GTEST_SKIP() << *reason;
    started_ = std::chrono::steady_clock::now();
  }
  void TearDown() override {
    if (IsSkipped()) return;
    std::printf("[ acme time ] %s: %.1f s\n",
                ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  }

  /// certbot's current certificate, checked against Pebble's root with openssl verify.
  static CertificateFacts certbotCertificate(AcmeWorld& world) {
    const auto live = world.lineageDir();
    const CommandResult verify =
        runCommand({"openssl", "verify", "-CAfile", world.pebble().issuerRootPath().string(),
                    "-untrusted", (live / "chain.pem").string(), (live / "cert.pem").string()});
    EXPECT_EQ(verify.exit_code, 0) << "certbot's certificate must chain to Pebble's root\n"
                                   << both(verify);
    return certificateFacts(live / "cert.pem");
  }

  /// Brings the first certificate into service (run --wait, factor 1), as an operator would.
  static void enable(AcmeWorld& world, const CertificateFacts& first) {
    const CommandResult run = world.daneguard("run", {"--wait"});
    ASSERT_EQ(run.exit_code, 0) << both(run);
    ASSERT_TRUE(pollUntil([&] { return world.everyServerServes({first.tlsa()}); }, 10s));
    const auto calls = world.hookCalls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].fingerprint, first.fingerprint);
    EXPECT_TRUE(calls[0].key_matches);
    EXPECT_TRUE(calls[0].chains_to_pebble_root);
  }

  std::chrono::steady_clock::time_point started_;
};

TEST_F(AcmeClients, CertbotRenewalWithReusedKeyIsDeployedAtOnceWithoutADnsChange) {
  AcmeWorld world;
  const CommandResult issued = world.certbotCertonly(true);
  ASSERT_EQ(issued.exit_code, 0) << both(issued);
  world.useCertbotSource();
  const CertificateFacts first = certbotCertificate(world);
  enable(world, first);

  const CommandResult renewed = world.certbotRenew();
  ASSERT_EQ(renewed.exit_code, 0) << both(renewed);
  const CertificateFacts second = certbotCertificate(world);
  ASSERT_NE(second.fingerprint, first.fingerprint) << "certbot did not renew";
  ASSERT_EQ(second.spki_sha256, first.spki_sha256) << "--reuse-key must keep the key";
  // Taken after the renewal: DNS-01 itself adds and removes a TXT record (two serials).
  const auto serial = world.serialAt(0);
  ASSERT_TRUE(serial);

  const CommandResult run = world.daneguard("run");
  ASSERT_EQ(run.exit_code, 0) << both(run);
  EXPECT_FALSE(contains(run.out + run.err, "published 3 1 1")) << both(run);
  const auto calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 2u) << "the renewed certificate must be deployed by this run";
  EXPECT_EQ(calls[1].fingerprint, second.fingerprint);
  EXPECT_TRUE(calls[1].key_matches);
  EXPECT_TRUE(calls[1].chains_to_pebble_root);
  EXPECT_EQ(world.serialAt(0), serial) << "no UPDATE may have been sent";
  EXPECT_TRUE(world.everyServerServes({first.tlsa()}));
}

TEST_F(AcmeClients, CertbotRenewalWithNewKeyIsAFullRollover) {
  AcmeWorld world;
  const CommandResult issued = world.certbotCertonly(false);
  ASSERT_EQ(issued.exit_code, 0) << both(issued);
  world.useCertbotSource();
  const CertificateFacts first = certbotCertificate(world);
  enable(world, first);

  const CommandResult renewed = world.certbotRenew();
  ASSERT_EQ(renewed.exit_code, 0) << both(renewed);
  const CertificateFacts second = certbotCertificate(world);
  ASSERT_NE(second.spki_sha256, first.spki_sha256) << "certbot's default is a new key";

  // One run publishes the new record next to the old one and deploys nothing yet.
  const auto serial = world.serialAt(0);
  const CommandResult publish = world.daneguard("run", {}, 2);
  ASSERT_EQ(publish.exit_code, 0) << both(publish);
  EXPECT_TRUE(
      contains(publish.out + publish.err, "published 3 1 1 " + second.spki_sha256.substr(0, 16)))
      << both(publish);
  EXPECT_GT(world.serialAt(0).value_or(0), serial.value_or(0));
  EXPECT_TRUE(pollUntil(
      [&] {
        return world.everyServerServes({first.tlsa(), second.tlsa()});
      },
      10s));
  EXPECT_EQ(world.hookCalls().size(), 1u) << "deployed before the cache window";

  // run --wait sits out 2 x 2 s + 1 s after full visibility, deploys, then retires the old one.
  const CommandResult finish = world.daneguard("run", {"--wait"}, 2);
  ASSERT_EQ(finish.exit_code, 0) << both(finish);
  const auto calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].fingerprint, second.fingerprint);
  EXPECT_TRUE(calls[1].key_matches);
  EXPECT_TRUE(calls[1].chains_to_pebble_root);
  const auto visible = world.recordedVisibleSince(second.spki_sha256);
  ASSERT_TRUE(visible);
  EXPECT_GE(calls[1].time, static_cast<double>(*visible) + 2 * 2 + 1 - 1)
      << "deployed before cache factor x TTL + margin after full visibility";
  EXPECT_TRUE(contains(finish.out + finish.err, "retired 3 1 1 " + first.spki_sha256.substr(0, 16)))
      << both(finish);
  EXPECT_TRUE(pollUntil([&] { return world.everyServerServes({second.tlsa()}); }, 10s));
}

TEST_F(AcmeClients, LegoPemBundleIsRolledOverLikeAnyOtherSource) {
  AcmeWorld world;
  const CommandResult issued = world.lego(false);
  ASSERT_EQ(issued.exit_code, 0) << both(issued);
  world.useLegoPemSource();
  const CertificateFacts first = certificateFacts(world.legoPemPath());
  // lego --pem is key + certificate + issuer in one file: the leaf must chain to Pebble's root.
  const CommandResult verify =
      runCommand({"openssl", "verify", "-CAfile", world.pebble().issuerRootPath().string(),
                  "-untrusted", world.legoPemPath().string(), world.legoPemPath().string()});
  EXPECT_EQ(verify.exit_code, 0) << both(verify);
  enable(world, first);

  const CommandResult renewed = world.lego(true);
  ASSERT_EQ(renewed.exit_code, 0) << both(renewed);
  const CertificateFacts second = certificateFacts(world.legoPemPath());
  ASSERT_NE(second.spki_sha256, first.spki_sha256) << "lego makes a new key unless told not to";
  const CommandResult finish = world.daneguard("run", {"--wait"});
  ASSERT_EQ(finish.exit_code, 0) << both(finish);
  const auto calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].fingerprint, second.fingerprint);
  EXPECT_TRUE(calls[1].key_matches);
  EXPECT_TRUE(calls[1].chains_to_pebble_root);
  EXPECT_TRUE(pollUntil([&] { return world.everyServerServes({second.tlsa()}); }, 10s));
}

TEST_F(AcmeClients, CertbotDeployHookPublishesAtRenewalAndRunFinishes) {
  AcmeWorld world;
  const CommandResult issued = world.certbotCertonly(false);
  ASSERT_EQ(issued.exit_code, 0) << both(issued);
  world.useCertbotSource();
  const CertificateFacts first = certbotCertificate(world);
  enable(world, first);

  // A lineage daneguard does not manage: nothing happens, and certbot is told it is fine.
  const auto serial = world.serialAt(0);
  const CommandResult unrelated =
      world.daneguard("certbot-hook", {"--lineage", world.directory().string() + "/elsewhere"});
  EXPECT_EQ(unrelated.exit_code, 0) << both(unrelated);
  EXPECT_TRUE(contains(unrelated.out, "nothing to do")) << both(unrelated);
  EXPECT_EQ(world.serialAt(0), serial);

  const double before_renewal = wallClockNow();
  const CommandResult renewed = world.certbotRenew(
      {"--deploy-hook", world.daneguardCommandLine("certbot-hook", {"--poll-interval", "1"})});
  ASSERT_EQ(renewed.exit_code, 0) << both(renewed);
  const CertificateFacts second = certbotCertificate(world);
  ASSERT_NE(second.spki_sha256, first.spki_sha256);

  // When certbot returns, the new record is already served everywhere, next to the old one, and
  // its visibility is dated: the cache window started at the renewal.
  EXPECT_TRUE(world.everyServerServes({first.tlsa(), second.tlsa()}))
      << "the deploy hook must have published the new record\n"
      << both(renewed);
  const auto visible = world.recordedVisibleSince(second.spki_sha256);
  ASSERT_TRUE(visible) << both(renewed);
  EXPECT_GE(static_cast<double>(*visible), before_renewal - 1);
  EXPECT_EQ(world.hookCalls().size(), 1u) << "the hook must not deploy a new key at once";

  const CommandResult finish = world.daneguard("run", {"--wait"}, 2);
  ASSERT_EQ(finish.exit_code, 0) << both(finish);
  EXPECT_FALSE(contains(finish.out + finish.err, "published 3 1 1")) << both(finish);
  const auto calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].fingerprint, second.fingerprint);
  EXPECT_TRUE(calls[1].chains_to_pebble_root);
  EXPECT_GE(calls[1].time, static_cast<double>(*visible) + 2 * 2 + 1 - 1);
  EXPECT_TRUE(pollUntil([&] { return world.everyServerServes({second.tlsa()}); }, 10s));
}

TEST_F(AcmeClients, CertbotDeployHookDeploysAReusedKeyRenewalItself) {
  AcmeWorld world;
  const CommandResult issued = world.certbotCertonly(true);
  ASSERT_EQ(issued.exit_code, 0) << both(issued);
  world.useCertbotSource();
  const CertificateFacts first = certbotCertificate(world);
  enable(world, first);

  const CommandResult renewed = world.certbotRenew(
      {"--deploy-hook", world.daneguardCommandLine("certbot-hook", {"--poll-interval", "1"})});
  ASSERT_EQ(renewed.exit_code, 0) << both(renewed);
  EXPECT_FALSE(contains(renewed.out + renewed.err, "published 3 1 1")) << both(renewed);
  const CertificateFacts second = certbotCertificate(world);
  ASSERT_EQ(second.spki_sha256, first.spki_sha256);
  const auto calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 2u) << "a renewal that kept its key is safe to deploy at once\n"
                              << both(renewed);
  EXPECT_EQ(calls[1].fingerprint, second.fingerprint);
  EXPECT_TRUE(calls[1].chains_to_pebble_root);
  EXPECT_TRUE(world.everyServerServes({first.tlsa()}));
}

}  // namespace
}  // namespace daneguard::testing

namespace daneguard::testing {
namespace {

TEST(CertbotHookCommand, WithoutALineageItExplainsWhereOneComesFrom) {
  std::vector<std::string> argv = withoutDaneguardEnvironment();
  argv.insert(argv.end(), {"-u", "RENEWED_LINEAGE", DANEGUARD_BINARY, "certbot-hook", "-c",
                           "/nonexistent/daneguard.toml"});
  const CommandResult result = runCommand(argv);
  EXPECT_EQ(result.exit_code, 64) << result.err;  // EX_USAGE
  EXPECT_NE(result.err.find("RENEWED_LINEAGE"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("--lineage"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace daneguard::testing
