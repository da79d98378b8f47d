// A certbot lineage is read as certbot lays it out: live/ links to the archive version in use,
// refusals that name that version, and the renewal parameters the `check` command needs.
#include "adapters/certificates/certbot_lineage.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "adapters/certificates/pem_certificate_loader.hpp"
#include "adapters/openssl/pem_bundle.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"

namespace daneguard::testing {
namespace {

namespace fs = std::filesystem;
using adapters::certificates::readCertbotRenewal;
using PrivateKeyUse = ports::CertificateLoader::PrivateKeyUse;

/// archive/<name>/{fullchain,privkey}<version>.pem from a test PKI, live/ links to `live`.
class CertbotTree {
 public:
  explicit CertbotTree(std::string name) : name_(std::move(name)) {
    fs::create_directories(archive());
    fs::create_directories(live());
  }
  fs::path archive() const { return dir_.path() / "archive" / name_; }
  fs::path live() const { return dir_.path() / "live" / name_; }
  std::string configDir() const { return dir_.path().string(); }
  config::CertbotLineageSource source() const { return {name_, configDir()}; }

  void addVersion(int version, const std::string& pki) {
    fs::copy_file(testPkiDir(pki) / "fullchain.pem",
                  archive() / ("fullchain" + std::to_string(version) + ".pem"));
    fs::copy_file(testPkiDir(pki) / "leaf.key",
                  archive() / ("privkey" + std::to_string(version) + ".pem"));
  }
  /// Relative links as certbot makes them (certbot's storage.py: os.path.relpath).
  void point(int chain_version, int key_version) {
    for (const char* file : {"fullchain.pem", "privkey.pem"})
      fs::remove(live() / file);
    fs::create_symlink(
        "../../archive/" + name_ + "/fullchain" + std::to_string(chain_version) + ".pem",
        live() / "fullchain.pem");
    fs::create_symlink("../../archive/" + name_ + "/privkey" + std::to_string(key_version) + ".pem",
                       live() / "privkey.pem");
  }

 private:
  TempDir dir_;
  std::string name_;
};

TEST(CertbotLineage, LoadsTheArchiveVersionTheLiveLinksPointAt) {
  CertbotTree tree("mail.example.test");
  tree.addVersion(1, "rsa2048");
  tree.addVersion(2, "ecdsa-p256");
  tree.point(2, 2);
  const auto files = adapters::certificates::resolveCertbotLineage(tree.source());
  ASSERT_TRUE(files) << files.error().message;
  EXPECT_EQ(files->fullchain_label, "archive/mail.example.test/fullchain2.pem");
  EXPECT_EQ(files->private_key_label, "archive/mail.example.test/privkey2.pem");

  adapters::certificates::PemCertificateLoader loader;
  const auto loaded = loader.load(tree.source(), PrivateKeyUse::LoadAndCheck);
  ASSERT_TRUE(loaded) << loaded.error().message;
  const auto expected =
      adapters::openssl::loadCertificateChain(testPkiDir("ecdsa-p256") / "leaf.pem");
  ASSERT_TRUE(expected);
  EXPECT_EQ(loaded->chain.leaf().der, expected->leaf().der);
}

TEST(CertbotLineage, AMissingLineageListsTheLineagesPresent) {
  CertbotTree tree("mail.example.test");
  fs::create_directories(fs::path(tree.configDir()) / "live" / "www.example.test");
  std::ofstream(fs::path(tree.configDir()) / "live" / "README") << "certbot's own README\n";
  adapters::certificates::PemCertificateLoader loader;
  const auto loaded =
      loader.load(config::CertbotLineageSource{"mail", tree.configDir()}, PrivateKeyUse::Skip);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().kind, ErrorKind::NotFound);
  EXPECT_NE(loaded.error().message.find("lineages present: mail.example.test, www.example.test"),
            std::string::npos)
      << loaded.error().message;
  EXPECT_EQ(loaded.error().message.find("README"), std::string::npos) << loaded.error().message;
}

TEST(CertbotLineage, ABrokenLinkNamesItsTarget) {
  CertbotTree tree("mail");
  tree.addVersion(3, "ecdsa-p256");
  tree.point(3, 3);
  fs::remove(tree.archive() / "fullchain3.pem");
  adapters::certificates::PemCertificateLoader loader;
  const auto loaded = loader.load(tree.source(), PrivateKeyUse::Skip);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().kind, ErrorKind::NotFound);
  EXPECT_NE(loaded.error().message.find("broken symlink to ../../archive/mail/fullchain3.pem"),
            std::string::npos)
      << loaded.error().message;
}

TEST(CertbotLineage, AKeyOfAnotherVersionThatDoesNotMatchIsRefusedNamingBothFiles) {
  CertbotTree tree("mail");
  tree.addVersion(6, "rsa2048");
  tree.addVersion(7, "ecdsa-p256");
  tree.point(7, 6);  // e.g. a hand-made repair that pointed privkey.pem at the old version
  adapters::certificates::PemCertificateLoader loader;
  ASSERT_TRUE(loader.load(tree.source(), PrivateKeyUse::Skip));  // the chain alone is fine
  const auto loaded = loader.load(tree.source(), PrivateKeyUse::LoadAndCheck);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().kind, ErrorKind::InvalidInput);
  const std::string& message = loaded.error().message;
  EXPECT_NE(message.find("certbot lineage 'mail' (archive/mail/fullchain7.pem with "
                         "archive/mail/privkey6.pem)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("does not match"), std::string::npos) << message;
}

// As certbot 2.x writes it (certbot/_internal/storage.py, configobj), abridged.
constexpr std::string_view kRenewalConf = R"(# renew_before_expiry = 30 days
version = 2.1.0
archive_dir = /etc/letsencrypt/archive/mail.example.test
cert = /etc/letsencrypt/live/mail.example.test/cert.pem
privkey = /etc/letsencrypt/live/mail.example.test/privkey.pem
chain = /etc/letsencrypt/live/mail.example.test/chain.pem
fullchain = /etc/letsencrypt/live/mail.example.test/fullchain.pem

# Options used in the renewal process
[renewalparams]
account = 0123456789abcdef0123456789abcdef
reuse_key = True
authenticator = dns-rfc2136
server = https://acme-v02.api.letsencrypt.org/directory
key_type = ECDSA
elliptic_curve = secp384r1
rsa_key_size = 4096
)";

TEST(CertbotRenewal, ReadsTheFileOfTheLineageAndExplainsAMissingOne) {
  CertbotTree tree("mail.example.test");
  fs::create_directories(fs::path(tree.configDir()) / "renewal");
  std::ofstream(fs::path(tree.configDir()) / "renewal" / "mail.example.test.conf") << kRenewalConf;
  const auto facts = readCertbotRenewal(tree.configDir(), "mail.example.test");
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->settings.reuse_key, true);
  EXPECT_EQ(facts->settings.key_type, "ecdsa");
  EXPECT_NE(facts->path.find("renewal/mail.example.test.conf"), std::string::npos);

  const auto missing = readCertbotRenewal(tree.configDir(), "mail");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
  EXPECT_NE(missing.error().message.find("lineages present: mail.example.test"), std::string::npos)
      << missing.error().message;
}

}  // namespace
}  // namespace daneguard::testing
