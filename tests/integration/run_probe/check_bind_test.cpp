// `daneguard check` against a real DNSSEC-signed BIND zone (private network namespace, primary
// and secondary on port 53), validated through libunbound with the zone's DS as trust anchor:
// records are added with nsupdate, never through daneguard, and the findings are read from the
// real binary's output.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integration/support/e2e_world.hpp"

namespace daneguard::testing {
namespace {

std::string both(const CommandResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\n--- stdout\n" + result.out +
         "--- stderr\n" + result.err;
}

CommandResult check(E2eWorld& world, const std::vector<std::string>& arguments = {}) {
  std::vector<std::string> argv = withoutDaneguardEnvironment();
  // Validated through libunbound with the zone's own DS as trust anchor, asking the primary.
  const auto& sandbox = world.sandbox();
  argv.insert(argv.end(), {DANEGUARD_BINARY, "check", "-c", world.configPath().string(),
                           "--trust-anchor", sandbox.trustAnchorDsPath().string(), "--stub",
                           sandbox.zone() + "=" + sandbox.updateServer().toString()});
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return runCommand(argv);
}

class CheckBind : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = E2eWorld::unavailableReason()) GTEST_SKIP() << *reason;
  }
};

TEST_F(CheckBind, PkixEeRecordOnPort25IsAnErrorWithAFix) {
  E2eWorld world;
  const E2eCertificate a = world.pki().issue("a");
  world.installCertificate(a);
  const std::string owner = world.owner();
  ASSERT_EQ(world
                .nsupdate("update add " + owner + " 300 IN TLSA 3 1 1 " + a.spki_sha256 +
                          "\nupdate add " + owner + " 300 IN TLSA 1 1 1 " + a.spki_sha256)
                .exit_code,
            0);
  ASSERT_TRUE(pollUntil(
      [&] {
        return world.everyServerServes({a.tlsa(), "1 1 1 " + a.spki_sha256});
      },
      std::chrono::seconds(10)));

  const CommandResult result = check(world);
  EXPECT_EQ(result.exit_code, 1) << both(result);
  EXPECT_NE(result.out.find("ERROR service mail: " + owner +
                            ": usage 1 1 1 (PKIX-EE SPKI SHA2-256) on port 25"),
            std::string::npos)
      << both(result);
  EXPECT_NE(result.out.find("-> fix: publish `3 1 1`"), std::string::npos) << both(result);

  const CommandResult json = check(world, {"--json"});
  EXPECT_EQ(json.exit_code, 1) << both(json);
  const auto document = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(document.is_discarded()) << json.out;
  EXPECT_EQ(document["worst"], "error");
  bool found = false;
  for (const auto& finding : document["findings"])
    found = found || (finding["severity"] == "error" && finding["subject"] == owner &&
                      finding["message"].get<std::string>().find("PKIX-EE") != std::string::npos);
  EXPECT_TRUE(found) << json.out;

  // Removing the PKIX record leaves a clean service: exit 0, the passed check shown with -v.
  ASSERT_EQ(world.nsupdate("update delete " + owner + " IN TLSA 1 1 1 " + a.spki_sha256).exit_code,
            0);
  ASSERT_TRUE(
      pollUntil([&] { return world.everyServerServes({a.tlsa()}); }, std::chrono::seconds(10)));
  const CommandResult clean = check(world, {"-v"});
  EXPECT_EQ(clean.exit_code, 0) << both(clean);
  EXPECT_NE(clean.out.find("OK service mail: " + owner + ": 1 record(s); every parameter"),
            std::string::npos)
      << both(clean);
  EXPECT_NE(clean.out.find("OK service mail: " + owner + ": TLSA RRset validates (secure)"),
            std::string::npos)
      << both(clean);
  EXPECT_EQ(clean.out.find("ERROR"), std::string::npos) << both(clean);
}

TEST_F(CheckBind, StaleDaneTaRecordBesideAGoodOneIsAnError) {
  E2eWorld world;
  const E2eCertificate a = world.pki().issue("a");
  world.installCertificate(a);
  const std::string stale(64, 'e');
  ASSERT_EQ(world
                .nsupdate("update add " + world.owner() + " 300 IN TLSA 3 1 1 " + a.spki_sha256 +
                          "\nupdate add " + world.owner() + " 300 IN TLSA 2 1 1 " + stale)
                .exit_code,
            0);
  ASSERT_TRUE(pollUntil(
      [&] {
        return world.everyServerServes({a.tlsa(), "2 1 1 " + stale});
      },
      std::chrono::seconds(10)));
  const CommandResult result = check(world);
  EXPECT_EQ(result.exit_code, 1) << both(result);
  EXPECT_NE(result.out.find("stale 2 1 1 (DANE-TA SPKI SHA2-256) group"), std::string::npos)
      << both(result);
}

}  // namespace
}  // namespace daneguard::testing
