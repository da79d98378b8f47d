// The symlinks deploy mode against a certbot-shaped config directory built from the test PKI:
// Alnitak's link names and relative targets, finding the deployed certificate in the archive
// by content (not through live/), refusing foreign files, and rollback on a failed reload.
#include "adapters/deploy/symlink_deployer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "adapters/process/posix_hook_runner.hpp"
#include "support/temp_dir.hpp"
#include "unit/adapters/deploy/deploy_test_support.hpp"
#include "unit/adapters/process/hook_script.hpp"

namespace daneguard::adapters::deploy {
namespace {

namespace fs = std::filesystem;
using testing::certificatePublicKey;
using testing::fingerprint;
using ::testing::HasSubstr;
using testing::loadTestCertificate;
using testing::privateKeyPublicKey;
using testing::readWholeFile;
using testing::TempDir;
using testing::testPkiDir;
using testing::writeHookScript;

constexpr std::string_view kLineage = "mail.example.test";

class SymlinkDeployerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Renewal 1 with the RSA key, renewal 2 with the ECDSA key; live/ follows the newest.
    addArchiveVersion(1, "rsa2048");
    addArchiveVersion(2, "ecdsa-p256");
    const fs::path live = letsencrypt() / "live" / kLineage;
    fs::create_directories(live);
    for (const std::string name : {"cert", "chain", "fullchain", "privkey"})
      fs::create_symlink(fs::path("../../archive") / kLineage / (name + "2.pem"),
                         live / (name + ".pem"));
    source_.lineage = kLineage;
    source_.config_dir = letsencrypt().string();
    settings_.directory = (work_.path() / "alnitak" / "dane").string();
  }

  fs::path letsencrypt() const { return work_.path() / "letsencrypt"; }
  fs::path daneLinks() const { return work_.path() / "alnitak" / "dane" / kLineage; }

  void addArchiveVersion(int number, const std::string& key_type) {
    const fs::path pki = testPkiDir(key_type);
    const fs::path archive = letsencrypt() / "archive" / kLineage;
    fs::create_directories(archive);
    const std::string n = std::to_string(number);
    fs::copy_file(pki / "leaf.pem", archive / ("cert" + n + ".pem"));
    fs::copy_file(pki / "chain.pem", archive / ("chain" + n + ".pem"));
    fs::copy_file(pki / "fullchain.pem", archive / ("fullchain" + n + ".pem"));
    fs::copy_file(pki / "leaf.key", archive / ("privkey" + n + ".pem"));
  }

  TempDir work_;
  process::PosixHookRunner runner_;
  SymlinkDeployer deployer_{runner_};
  config::SymlinkDeploy settings_;
  config::CertbotLineageSource source_;
  LoadedCertificate rsa_ = loadTestCertificate("rsa2048");
  LoadedCertificate ecdsa_ = loadTestCertificate("ecdsa-p256");
};

TEST_F(SymlinkDeployerTest, LinksPointAtTheArchiveFilesOfTheDeployedCertificate) {
  // live/ already shows renewal 2, but renewal 1 is what is safe to serve.
  const auto linked = deployer_.link(settings_, source_, {&rsa_, 1}, "mail", "1111");
  ASSERT_TRUE(linked) << linked.error().message;
  for (const std::string name : {"cert", "chain", "fullchain", "privkey"}) {
    const fs::path link = daneLinks() / (name + ".pem");
    ASSERT_TRUE(fs::is_symlink(link)) << link;
    // Exactly Alnitak's form: relative, through the letsencrypt directory's name.
    EXPECT_EQ(fs::read_symlink(link).string(),
              "../../../letsencrypt/archive/mail.example.test/" + name + "1.pem");
  }
  EXPECT_EQ(fingerprint(daneLinks() / "cert.pem"), fingerprint(testPkiDir("rsa2048") / "leaf.pem"));
  EXPECT_EQ(privateKeyPublicKey(daneLinks() / "privkey.pem"),
            certificatePublicKey(daneLinks() / "fullchain.pem"));
  EXPECT_EQ(fs::status(daneLinks()).permissions(), fs::perms(0700));

  // Once the new records are safe, the deploy of renewal 2 moves every link.
  ASSERT_TRUE(deployer_.link(settings_, source_, {&ecdsa_, 1}, "mail", "2222"));
  EXPECT_EQ(fs::read_symlink(daneLinks() / "privkey.pem").string(),
            "../../../letsencrypt/archive/mail.example.test/privkey2.pem");
  EXPECT_EQ(privateKeyPublicKey(daneLinks() / "privkey.pem"),
            certificatePublicKey(daneLinks() / "cert.pem"));
  // No temporary links are left beside them.
  EXPECT_EQ(std::distance(fs::directory_iterator(daneLinks()), fs::directory_iterator()), 4);
}

TEST_F(SymlinkDeployerTest, ReplacesAlnitaksLinksToLive) {
  fs::create_directories(daneLinks());
  fs::create_symlink("../../../letsencrypt/live/mail.example.test/cert.pem",
                     daneLinks() / "cert.pem");
  ASSERT_TRUE(deployer_.link(settings_, source_, {&rsa_, 1}, "mail", "1111"));
  EXPECT_EQ(fs::read_symlink(daneLinks() / "cert.pem").string(),
            "../../../letsencrypt/archive/mail.example.test/cert1.pem");
}

TEST_F(SymlinkDeployerTest, CertificateMissingFromTheArchiveIsRefused) {
  const LoadedCertificate other = loadTestCertificate("ed25519");
  const auto refused = deployer_.link(settings_, source_, {&other, 1}, "mail", "3333");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::NotFound);
  EXPECT_THAT(refused.error().message, HasSubstr("no cert<N>.pem holds the certificate"));
  EXPECT_FALSE(fs::exists(daneLinks() / "cert.pem"));
}

TEST_F(SymlinkDeployerTest, ArchiveKeyThatDoesNotMatchIsRefused) {
  const fs::path archive = letsencrypt() / "archive" / kLineage;
  fs::remove(archive / "privkey1.pem");
  fs::copy_file(testPkiDir("ecdsa-p256") / "leaf.key", archive / "privkey1.pem");
  const auto refused = deployer_.link(settings_, source_, {&rsa_, 1}, "mail", "1111");
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("not the key of cert1.pem"));
}

TEST_F(SymlinkDeployerTest, RegularFileInTheDaneDirectoryIsNotReplaced) {
  work_.write("alnitak/dane/mail.example.test/privkey.pem", "mine\n");
  const auto refused = deployer_.link(settings_, source_, {&rsa_, 1}, "mail", "1111");
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("privkey.pem: is not a symbolic link"));
  EXPECT_EQ(readWholeFile(daneLinks() / "privkey.pem"), "mine\n");
}

TEST_F(SymlinkDeployerTest, FailedReloadPutsTheLinksBack) {
  ASSERT_TRUE(deployer_.link(settings_, source_, {&rsa_, 1}, "mail", "1111"));
  const fs::path log = work_.path() / "reloads";
  settings_.reload.commands = {
      {writeHookScript(work_, "reload",
                       "readlink \"$DANEGUARD_DANE_DIR/cert.pem\" >> " + log.string() +
                           "\necho 'dovecot: config error' >&2\nexit 1\n")
           .string()}};
  const auto failed = deployer_.link(settings_, source_, {&ecdsa_, 1}, "mail", "2222");
  ASSERT_FALSE(failed);
  EXPECT_THAT(failed.error().message, HasSubstr("exited with status 1: dovecot: config error"));
  EXPECT_THAT(failed.error().message, HasSubstr("put the links back"));
  EXPECT_EQ(fs::read_symlink(daneLinks() / "cert.pem").filename(), "cert1.pem");
  EXPECT_EQ(fs::read_symlink(daneLinks() / "privkey.pem").filename(), "privkey1.pem");
  // The command saw the new link, then (after the switch back) the old one.
  EXPECT_EQ(readWholeFile(log),
            "../../../letsencrypt/archive/mail.example.test/cert2.pem\n"
            "../../../letsencrypt/archive/mail.example.test/cert1.pem\n");
}

}  // namespace
}  // namespace daneguard::adapters::deploy
