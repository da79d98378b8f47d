// The install deploy mode through the real daneguard binary (configuration parser, deployer
// factory, rollover runner) in the end-to-end world of rollover_e2e_test.cpp: a rollover to a
// new key lands the new set in the install directory and reloads (when in the rollover that
// happens is the runner's business, tested in rollover_e2e_test.cpp), and a failing reload
// command keeps the old set in service and the old record published.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "integration/support/e2e_world.hpp"
#include "unit/adapters/deploy/deploy_test_support.hpp"

namespace daneguard::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string both(const CommandResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\n--- stdout\n" + result.out +
         "--- stderr\n" + result.err;
}

/// `openssl x509 -fingerprint -sha256` of the certificate in `file`, as E2eCertificate has it.
std::string fingerprintOf(const fs::path& file) {
  std::string text = fingerprint(file);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

class InstallE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = E2eWorld::unavailableReason()) GTEST_SKIP() << *reason;
    world_.emplace();
    install_dir_ = world_->directory() / "tls";
    reload_log_ = world_->directory() / "reloads";
  }

  /// Replaces the world's hook deploy with `type = "install"` and a reload command that logs
  /// the certificate it sees through the install directory, and then exits with `status`.
  void useInstallDeploy(int status) {
    const fs::path script = world_->directory() / "reload-server";
    {
      std::ofstream out(script);
      out << "#!/bin/sh\nd=\"$DANEGUARD_INSTALL_DIR\"\n"
          << "c=$(openssl x509 -in \"$d/cert.pem\" -pubkey -noout)\n"
          << "k=$(openssl pkey -in \"$d/privkey.pem\" -pubout)\n"
          << "[ \"$c\" = \"$k\" ] && m=match || m=MISMATCH\n"
          << "echo \"$(openssl x509 -in \"$d/cert.pem\" -noout -fingerprint -sha256) $m\" >> "
          << reload_log_.string() << "\n"
          << "echo 'reload: server refused the configuration' >&2\nexit " << status << "\n";
    }
    fs::permissions(script, fs::perms(0700));
    std::string config = readTextFile(world_->configPath());
    const std::regex hook_table(R"(\[services\.deploy\][\s\S]*?\n(?=\[services\.probe\]))");
    config = std::regex_replace(config, hook_table,
                                "[services.deploy]\ntype = \"install\"\ndirectory = \"" +
                                    install_dir_.string() + "\"\nreload = [[\"" + script.string() +
                                    "\"]]\nreload_timeout = \"20s\"\n");
    std::ofstream(world_->configPath()) << config;
  }

  std::vector<std::string> reloadLog() const {
    std::vector<std::string> lines;
    std::istringstream in(readTextFile(reload_log_));
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
    return lines;
  }

  /// The first certificate in service through the install directory (run --wait, factor 1).
  void enableFirst(const E2eCertificate& certificate) {
    world_->installCertificate(certificate);
    const CommandResult run = world_->daneguard("run", {"--wait"}, 1);
    ASSERT_EQ(run.exit_code, 0) << both(run);
    ASSERT_EQ(fingerprintOf(install_dir_ / "fullchain.pem"), certificate.fingerprint);
    ASSERT_TRUE(pollUntil([&] { return world_->everyServerServes({certificate.tlsa()}); }, 10s));
  }

  std::optional<E2eWorld> world_;
  fs::path install_dir_;
  fs::path reload_log_;
};

TEST_F(InstallE2e, RolloverToANewKeyInstallsTheNewSetAndReloads) {
  useInstallDeploy(0);
  const E2eCertificate a = world_->pki().issue("a");
  const E2eCertificate b = world_->pki().issue("b");
  enableFirst(a);
  world_->installCertificate(b);
  const CommandResult run = world_->daneguard("run", {"--wait"}, 1);
  ASSERT_EQ(run.exit_code, 0) << both(run);
  EXPECT_EQ(fingerprintOf(install_dir_ / "cert.pem"), b.fingerprint);
  EXPECT_EQ(privateKeyPublicKey(install_dir_ / "combo.pem"),
            certificatePublicKey(install_dir_ / "cert.pem"));
  EXPECT_EQ(fs::read_symlink(install_dir_ / "previous").filename().string().substr(2, 12),
            a.id().substr(0, 12));
  const auto log = reloadLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0], a.fingerprint + " match");
  EXPECT_EQ(log[1], b.fingerprint + " match");
  EXPECT_TRUE(pollUntil([&] { return world_->everyServerServes({b.tlsa()}); }, 10s));
}

TEST_F(InstallE2e, FailingReloadKeepsTheOldSetAndTheOldRecord) {
  useInstallDeploy(0);
  const E2eCertificate a = world_->pki().issue("a");
  const E2eCertificate b = world_->pki().issue("b");
  enableFirst(a);
  useInstallDeploy(1);
  world_->installCertificate(b);
  const CommandResult run = world_->daneguard("run", {"--wait"}, 1);
  EXPECT_NE(run.exit_code, 0) << both(run);
  const std::string text = run.out + run.err;
  EXPECT_THAT(text, ::testing::HasSubstr("exited with status 1: reload: server refused the "
                                         "configuration"));
  EXPECT_THAT(text, ::testing::HasSubstr("switched back to the previous files"));
  EXPECT_EQ(fingerprintOf(install_dir_ / "cert.pem"), a.fingerprint);
  EXPECT_EQ(fingerprintOf(install_dir_ / "fullchain.pem"), a.fingerprint);
  EXPECT_EQ(privateKeyPublicKey(install_dir_ / "privkey.pem"),
            certificatePublicKey(install_dir_ / "cert.pem"));
  // The record matching what is served stays published (b's was added next to it).
  const auto served = world_->servedTlsa(0);
  ASSERT_TRUE(served);
  EXPECT_EQ(served->count(a.tlsa()), 1u) << both(run);
}

}  // namespace
}  // namespace daneguard::testing
