// The install deploy mode: the files and their contents (checked with the openssl CLI), the
// layout the server config points at, modes and ownership, pruning, idempotent reruns,
// dual-certificate naming, and what a failing reload command leaves in service.
#include "adapters/deploy/install_deployer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/deploy/install_directory.hpp"
#include "adapters/process/posix_hook_runner.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "support/unprivileged.hpp"
#include "unit/adapters/deploy/deploy_test_support.hpp"
#include "unit/adapters/process/hook_script.hpp"

namespace daneguard::adapters::deploy {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::certificatePublicKey;
using testing::fingerprint;
using ::testing::HasSubstr;
using testing::loadTestCertificate;
using testing::privateKeyPublicKey;
using testing::readWholeFile;
using testing::statOf;
using testing::TempDir;
using testing::testPkiDir;
using testing::writeHookScript;

constexpr std::array<std::string_view, 5> kPrimaryFiles = {"cert.pem", "chain.pem", "fullchain.pem",
                                                           "privkey.pem", "combo.pem"};

std::vector<std::string> versionNames(const fs::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory / "versions"))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class InstallDeployerTest : public ::testing::Test {
 protected:
  fs::path target() const { return work_.path() / "tls"; }

  config::InstallDeploy settings() const {
    config::InstallDeploy install;
    install.directory = target().string();
    return install;
  }

  /// A reload command that appends the fingerprint of the certificate it sees and whether the
  /// key it sees matches it, then exits with `status`.
  std::vector<std::string> recordingReload(int status) {
    const std::string body =
        "dir=\"$DANEGUARD_INSTALL_DIR\"\n"
        "c=$(openssl x509 -in \"$dir/cert.pem\" -pubkey -noout)\n"
        "k=$(openssl pkey -in \"$dir/privkey.pem\" -pubout)\n"
        "[ \"$c\" = \"$k\" ] && m=match || m=MISMATCH\n"
        "echo \"$(openssl x509 -in \"$dir/cert.pem\" -noout -fingerprint -sha256) $m "
        "$DANEGUARD_SERVICE\" >> " +
        (work_.path() / "reloads").string() +
        "\n"
        "echo 'postfix/postfix-script: fatal: the Postfix mail system is not running' >&2\n"
        "exit " +
        std::to_string(status) + "\n";
    return {writeHookScript(work_, "reload-" + std::to_string(status), body).string()};
  }

  std::vector<std::string> reloadLog() const {
    std::vector<std::string> lines;
    std::istringstream in(readWholeFile(work_.path() / "reloads"));
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
    return lines;
  }

  TempDir work_;
  process::PosixHookRunner runner_;
  InstallDeployer deployer_{runner_};
  LoadedCertificate rsa_ = loadTestCertificate("rsa2048");
  LoadedCertificate ecdsa_ = loadTestCertificate("ecdsa-p256");
};

TEST_F(InstallDeployerTest, WritesTheFiveFilesWithMatchingContent) {
  const auto installed = deployer_.install(settings(), {&rsa_, 1}, "mail", "aa11");
  ASSERT_TRUE(installed) << installed.error().message;
  const fs::path pki = testPkiDir("rsa2048");
  for (const std::string_view name : kPrimaryFiles)
    EXPECT_TRUE(fs::is_regular_file(target() / name)) << name;
  EXPECT_EQ(fingerprint(target() / "cert.pem"), fingerprint(pki / "leaf.pem"));
  EXPECT_EQ(fingerprint(target() / "chain.pem"), fingerprint(pki / "intermediate.pem"));
  EXPECT_EQ(fingerprint(target() / "fullchain.pem"), fingerprint(pki / "leaf.pem"));
  EXPECT_EQ(readWholeFile(target() / "fullchain.pem"),
            readWholeFile(target() / "cert.pem") + readWholeFile(target() / "chain.pem"));
  const std::string public_key = certificatePublicKey(target() / "cert.pem");
  ASSERT_FALSE(public_key.empty());
  EXPECT_EQ(privateKeyPublicKey(target() / "privkey.pem"), public_key);
  // combo.pem: the key first, then the full chain; both halves readable by openssl.
  const std::string combo = readWholeFile(target() / "combo.pem");
  EXPECT_TRUE(combo.starts_with("-----BEGIN PRIVATE KEY-----")) << combo.substr(0, 40);
  EXPECT_TRUE(combo.ends_with(readWholeFile(target() / "fullchain.pem")));
  EXPECT_EQ(privateKeyPublicKey(target() / "combo.pem"), public_key);
  EXPECT_EQ(certificatePublicKey(target() / "combo.pem"), public_key);
  // Suffixed copies of the primary, for servers configured per key type.
  EXPECT_EQ(readWholeFile(target() / "fullchain-rsa.pem"),
            readWholeFile(target() / "fullchain.pem"));
}

TEST_F(InstallDeployerTest, ServerPathsAreLinksThroughOneCurrentLink) {
  ASSERT_TRUE(deployer_.install(settings(), {&rsa_, 1}, "mail", "aa11bb22cc33dd44"));
  EXPECT_TRUE(fs::is_symlink(target() / "current"));
  EXPECT_EQ(fs::read_symlink(target() / "current"), fs::path("versions/1-aa11bb22cc33"));
  for (const std::string_view name : kPrimaryFiles) {
    EXPECT_TRUE(fs::is_symlink(target() / name)) << name;
    EXPECT_EQ(fs::read_symlink(target() / name), fs::path("current") / name);
  }
  EXPECT_FALSE(fs::exists(target() / "previous"));
}

TEST_F(InstallDeployerTest, DefaultModesKeepTheKeyPrivate) {
  const mode_t old_umask = ::umask(0);  // a careless umask must not loosen anything
  const auto installed = deployer_.install(settings(), {&rsa_, 1}, "mail", "aa11");
  ::umask(old_umask);
  ASSERT_TRUE(installed) << installed.error().message;
  for (const std::string_view name : {"privkey.pem", "combo.pem", "privkey-rsa.pem"})
    EXPECT_EQ(statOf(target() / name).st_mode & 07777, 0600u) << name;
  for (const std::string_view name : {"cert.pem", "chain.pem", "fullchain.pem"})
    EXPECT_EQ(statOf(target() / name).st_mode & 07777, 0644u) << name;
  EXPECT_EQ(statOf(target()).st_mode & 07777, 0755u);
  EXPECT_EQ(statOf(target() / "current").st_mode & 07777, 0755u);
  EXPECT_EQ(statOf(target() / "privkey.pem").st_uid, ::geteuid());
  if (::geteuid() == 0) {  // others (here: nobody) can read the certificate, never the key
    fs::permissions(work_.path(), fs::perms(0755));
    EXPECT_TRUE(testing::runUnprivileged(
        [&] { return !certificatePublicKey(target() / "fullchain.pem").empty(); }));
    EXPECT_FALSE(testing::runUnprivileged(
        [&] { return !privateKeyPublicKey(target() / "privkey.pem").empty(); }));
  }
}

TEST_F(InstallDeployerTest, OwnerGroupAndModesAreApplied) {
  if (::geteuid() != 0) GTEST_SKIP() << "changing file owners needs root";
  auto install = settings();
  install.owner = "nobody";
  install.group = "nogroup";
  install.key_mode = 0640;
  install.certificate_mode = 0444;
  const auto installed = deployer_.install(install, {&rsa_, 1}, "mail", "aa11");
  ASSERT_TRUE(installed) << installed.error().message;
  for (const std::string_view name : kPrimaryFiles) {
    const struct stat status = statOf(target() / name);
    EXPECT_EQ(status.st_uid, 65534u) << name;
    EXPECT_EQ(status.st_gid, 65534u) << name;
    const bool key = name == "privkey.pem" || name == "combo.pem";
    EXPECT_EQ(status.st_mode & 07777, key ? 0640u : 0444u) << name;
  }
  // The named user can read the key through the documented path; and with numeric ids too.
  fs::permissions(work_.path(), fs::perms(0755));
  const fs::path key = target() / "privkey.pem";
  const auto can_read_key = [&] { return !privateKeyPublicKey(key).empty(); };
  EXPECT_TRUE(testing::runUnprivileged(can_read_key));
  install.owner = "65534";
  install.group = "65534";
  EXPECT_TRUE(deployer_.install(install, {&rsa_, 1}, "mail", "aa11"));
  install.owner = "no-such-user-dg";
  const auto refused = deployer_.install(install, {&rsa_, 1}, "mail", "aa11");
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("install owner 'no-such-user-dg': no such user"));
}

TEST_F(InstallDeployerTest, NewCertificateSwitchesAndKeepsThePreviousForRollback) {
  ASSERT_TRUE(deployer_.install(settings(), {&rsa_, 1}, "mail", "1111"));
  ASSERT_TRUE(deployer_.install(settings(), {&ecdsa_, 1}, "mail", "2222"));
  EXPECT_EQ(fs::read_symlink(target() / "current"), fs::path("versions/2-2222"));
  EXPECT_EQ(fs::read_symlink(target() / "previous"), fs::path("versions/1-1111"));
  EXPECT_EQ(fingerprint(target() / "cert.pem"), fingerprint(testPkiDir("ecdsa-p256") / "leaf.pem"));
  EXPECT_EQ(privateKeyPublicKey(target() / "privkey.pem"),
            certificatePublicKey(target() / "cert.pem"));
  ASSERT_TRUE(deployer_.install(settings(), {&rsa_, 1}, "mail", "3333"));
  EXPECT_EQ(versionNames(target()), (std::vector<std::string>{"2-2222", "3-3333"}));
}

TEST_F(InstallDeployerTest, RerunWithTheSameCertificateWritesNothingAndReloadsAgain) {
  auto install = settings();
  install.reload.commands = {recordingReload(0)};
  ASSERT_TRUE(deployer_.install(install, {&rsa_, 1}, "mail", "1111"));
  const auto inode = statOf(target() / "privkey.pem").st_ino;
  const auto rerun = deployer_.install(install, {&rsa_, 1}, "mail", "1111");
  ASSERT_TRUE(rerun) << rerun.error().message;
  EXPECT_EQ(statOf(target() / "privkey.pem").st_ino, inode);
  EXPECT_EQ(versionNames(target()), (std::vector<std::string>{"1-1111"}));
  EXPECT_EQ(reloadLog().size(), 2u);
  // A changed mode is not "the same": it is written again.
  install.certificate_mode = 0640;
  ASSERT_TRUE(deployer_.install(install, {&rsa_, 1}, "mail", "1111"));
  EXPECT_EQ(statOf(target() / "cert.pem").st_mode & 07777, 0640u);
}

TEST_F(InstallDeployerTest, ReloadCommandsSeeTheNewMatchingSet) {
  ASSERT_TRUE(deployer_.install(settings(), {&rsa_, 1}, "mail", "1111"));
  auto install = settings();
  install.reload.commands = {recordingReload(0), recordingReload(0)};
  const auto installed = deployer_.install(install, {&ecdsa_, 1}, "mail", "2222");
  ASSERT_TRUE(installed) << installed.error().message;
  const auto log = reloadLog();
  ASSERT_EQ(log.size(), 2u);
  for (const std::string& line : log)
    EXPECT_THAT(line, HasSubstr(" match mail")) << line;
  const std::string new_hex = fingerprint(testPkiDir("ecdsa-p256") / "leaf.pem").substr(19, 40);
  EXPECT_THAT(log[0], HasSubstr(new_hex));
  EXPECT_THAT(log[1], HasSubstr(new_hex));
}

TEST_F(InstallDeployerTest, FailedReloadSwitchesBackReloadsAgainAndFails) {
  ASSERT_TRUE(deployer_.install(settings(), {&rsa_, 1}, "mail", "1111"));
  const std::string old_fingerprint = fingerprint(target() / "cert.pem");
  auto install = settings();
  install.reload.commands = {recordingReload(0), recordingReload(3)};
  const auto failed = deployer_.install(install, {&ecdsa_, 1}, "mail", "2222");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, ErrorKind::Rejected);
  EXPECT_THAT(failed.error().message, HasSubstr("reload command 2 of 2 for service 'mail'"));
  EXPECT_THAT(failed.error().message, HasSubstr(install.reload.commands[1][0]));
  EXPECT_THAT(failed.error().message, HasSubstr("exited with status 3"));
  EXPECT_THAT(failed.error().message, HasSubstr("fatal: the Postfix mail system is not running"));
  EXPECT_THAT(failed.error().message, HasSubstr("switched back to the previous files"));
  // What the documented paths serve is the old certificate with its key.
  EXPECT_EQ(fingerprint(target() / "cert.pem"), old_fingerprint);
  EXPECT_EQ(fingerprint(target() / "combo.pem"), old_fingerprint);
  EXPECT_EQ(privateKeyPublicKey(target() / "privkey.pem"),
            certificatePublicKey(target() / "cert.pem"));
  EXPECT_EQ(fs::read_symlink(target() / "current"), fs::path("versions/1-1111"));
  EXPECT_EQ(versionNames(target()), (std::vector<std::string>{"1-1111"}));
  // Two commands before the failure, then both again for the old set (the second fails again).
  const auto log = reloadLog();
  ASSERT_EQ(log.size(), 4u);
  const std::string old_hex = old_fingerprint.substr(19, 40);
  EXPECT_THAT(log[2], HasSubstr(old_hex));
  EXPECT_THAT(log[3], HasSubstr(old_hex));
  EXPECT_THAT(log[0], ::testing::Not(HasSubstr(old_hex)));
}

TEST_F(InstallDeployerTest, FailedReloadOnARerunLeavesTheUnchangedFilesInService) {
  // The rerun after a crash between the switch and the state's record: the files are already
  // the new ones; going back to `previous` could serve a certificate whose records are gone.
  ASSERT_TRUE(deployer_.install(settings(), {&rsa_, 1}, "mail", "1111"));
  ASSERT_TRUE(deployer_.install(settings(), {&ecdsa_, 1}, "mail", "2222"));
  auto install = settings();
  install.reload.commands = {recordingReload(1)};
  const auto failed = deployer_.install(install, {&ecdsa_, 1}, "mail", "2222");
  ASSERT_FALSE(failed);
  EXPECT_THAT(failed.error().message, HasSubstr("already in place before this deploy"));
  EXPECT_EQ(fs::read_symlink(target() / "current"), fs::path("versions/2-2222"));
  EXPECT_EQ(fingerprint(target() / "cert.pem"), fingerprint(testPkiDir("ecdsa-p256") / "leaf.pem"));
  EXPECT_EQ(reloadLog().size(), 1u);  // not run again: nothing changed back
}

TEST_F(InstallDeployerTest, FailedFirstInstallLeavesNothingInService) {
  auto install = settings();
  install.reload.commands = {recordingReload(1)};
  const auto failed = deployer_.install(install, {&rsa_, 1}, "mail", "1111");
  ASSERT_FALSE(failed);
  EXPECT_THAT(failed.error().message, HasSubstr("no earlier set to switch back to"));
  EXPECT_FALSE(fs::exists(target() / "current"));
  EXPECT_FALSE(fs::exists(target() / "cert.pem"));  // dangling: nothing to serve
}

TEST_F(InstallDeployerTest, DualCertificatesGetFilesPerKeyType) {
  std::array<LoadedCertificate, 2> both = {loadTestCertificate("rsa2048"),
                                           loadTestCertificate("ecdsa-p256")};
  const auto installed = deployer_.install(settings(), both, "mail", "1111");
  ASSERT_TRUE(installed) << installed.error().message;
  for (const std::string suffix : {"rsa", "ecdsa"}) {
    const auto cert = target() / ("cert-" + suffix + ".pem");
    EXPECT_EQ(privateKeyPublicKey(target() / ("privkey-" + suffix + ".pem")),
              certificatePublicKey(cert))
        << suffix;
    EXPECT_EQ(privateKeyPublicKey(target() / ("combo-" + suffix + ".pem")),
              certificatePublicKey(cert))
        << suffix;
    EXPECT_TRUE(fs::is_symlink(target() / ("fullchain-" + suffix + ".pem")));
  }
  EXPECT_EQ(fingerprint(target() / "cert.pem"), fingerprint(testPkiDir("rsa2048") / "leaf.pem"));
  EXPECT_EQ(fingerprint(target() / "cert-ecdsa.pem"),
            fingerprint(testPkiDir("ecdsa-p256") / "leaf.pem"));
  std::array<LoadedCertificate, 2> twice = {loadTestCertificate("rsa2048"),
                                            loadTestCertificate("rsa2048")};
  const auto refused = deployer_.install(settings(), twice, "mail", "1111");
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("two certificates with rsa keys"));
}

TEST_F(InstallDeployerTest, RefusesToReplaceARealFile) {
  fs::create_directories(target());
  work_.write("tls/fullchain.pem", "operator's own file\n");
  const auto refused = deployer_.install(settings(), {&rsa_, 1}, "mail", "1111");
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("fullchain.pem: is not a symbolic link"));
  EXPECT_EQ(readWholeFile(target() / "fullchain.pem"), "operator's own file\n");
  EXPECT_FALSE(fs::exists(target() / "current"));
}

TEST_F(InstallDeployerTest, PruneClearsCrashLeftovers) {
  ASSERT_TRUE(deployer_.install(settings(), {&rsa_, 1}, "mail", "1111"));
  fs::create_directories(target() / "versions" / ".incomplete-abc123");
  work_.write("tls/versions/.incomplete-abc123/privkey.pem", "partial");
  fs::create_symlink("versions/1-1111", target() / ".current.daneguard-zzz");
  ASSERT_TRUE(deployer_.install(settings(), {&ecdsa_, 1}, "mail", "2222"));
  EXPECT_EQ(versionNames(target()), (std::vector<std::string>{"1-1111", "2-2222"}));
  EXPECT_FALSE(fs::exists(fs::symlink_status(target() / ".current.daneguard-zzz")));
}

TEST_F(InstallDeployerTest, DeployRequestIsAdaptedToInstall) {
  config::Service service;
  service.name = "mail";
  service.deploy = settings();
  const auto deployed = deployer_.deploy(
      ports::DeployRequest{service, std::span<const LoadedCertificate>(&rsa_, 1), "abcd"});
  ASSERT_TRUE(deployed) << deployed.error().message;
  EXPECT_EQ(fingerprint(target() / "fullchain.pem"),
            fingerprint(testPkiDir("rsa2048") / "leaf.pem"));
}

}  // namespace
}  // namespace daneguard::adapters::deploy
