// Every configured certificate source loads the same chain and key as the test PKI made by the
// openssl CLI; a certbot lineage is read through its symlinks as certbot lays it out.
#include "adapters/certificates/pem_certificate_loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "adapters/openssl/pem_bundle.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"

namespace daneguard::testing {
namespace {

namespace fs = std::filesystem;

Bytes leafDer(const fs::path& pem) {
  auto chain = adapters::openssl::loadCertificateChain(pem);
  EXPECT_TRUE(chain.has_value());
  return chain->leaf().der;
}

TEST(PemCertificateLoader, BundleFilesAndCertbotLineageGiveTheSameLeafAndKey) {
  const fs::path pki = testPkiDir("ecdsa-p256");
  const Bytes expected_leaf = leafDer(pki / "leaf.pem");
  TempDir dir;
  // certbot: live/<lineage>/*.pem are relative symlinks into archive/<lineage>/*N.pem.
  fs::create_directories(dir.path() / "archive" / "mail");
  fs::create_directories(dir.path() / "live" / "mail");
  fs::copy_file(pki / "fullchain.pem", dir.path() / "archive" / "mail" / "fullchain3.pem");
  fs::copy_file(pki / "leaf.key", dir.path() / "archive" / "mail" / "privkey3.pem");
  fs::create_symlink("../../archive/mail/fullchain3.pem",
                     dir.path() / "live" / "mail" / "fullchain.pem");
  fs::create_symlink("../../archive/mail/privkey3.pem",
                     dir.path() / "live" / "mail" / "privkey.pem");

  const std::vector<std::pair<std::string, config::CertificateSource>> sources{
      {"pem", config::PemBundleSource{(pki / "combined.pem").string()}},
      {"files with fullchain",
       config::SeparateFilesSource{(pki / "leaf.key").string(), std::nullopt, std::nullopt,
                                   (pki / "fullchain.pem").string()}},
      {"files with certificate and chain",
       config::SeparateFilesSource{(pki / "leaf.key").string(), (pki / "leaf.pem").string(),
                                   (pki / "chain.pem").string(), std::nullopt}},
      {"certbot", config::CertbotLineageSource{"mail", dir.path().string()}},
  };
  using PrivateKeyUse = ports::CertificateLoader::PrivateKeyUse;
  adapters::certificates::PemCertificateLoader loader;
  for (const auto& [name, source] : sources) {
    SCOPED_TRACE(name);
    const auto loaded = loader.load(source, PrivateKeyUse::LoadAndCheck);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_EQ(loaded->chain.leaf().der, expected_leaf);
    EXPECT_EQ(loaded->chain.certificates.size(), 2u);
    EXPECT_TRUE(loaded->private_key_pem.has_value());
    // Observing reads the same chain without decoding the key.
    const auto observed = loader.load(source, PrivateKeyUse::Skip);
    ASSERT_TRUE(observed.has_value()) << observed.error().message;
    EXPECT_EQ(observed->chain.leaf().der, expected_leaf);
    EXPECT_FALSE(observed->private_key_pem.has_value());
    EXPECT_EQ(observed->key.spki_der, loaded->key.spki_der);
  }
}

TEST(PemCertificateLoader, AKeyThatDoesNotMatchIsOnlyFoundWhenTheKeyIsAskedFor) {
  const fs::path pki = testPkiDir("ecdsa-p256");
  const config::CertificateSource mismatched =
      config::SeparateFilesSource{(testPkiDir("rsa2048") / "leaf.key").string(), std::nullopt,
                                  std::nullopt, (pki / "fullchain.pem").string()};
  adapters::certificates::PemCertificateLoader loader;
  EXPECT_TRUE(loader.load(mismatched, ports::CertificateLoader::PrivateKeyUse::Skip));
  const auto checked =
      loader.load(mismatched, ports::CertificateLoader::PrivateKeyUse::LoadAndCheck);
  ASSERT_FALSE(checked.has_value());
  EXPECT_NE(checked.error().message.find("does not match"), std::string::npos)
      << checked.error().message;
}

TEST(PemCertificateLoader, MissingCertbotLineageNamesTheLineageAndPath) {
  TempDir dir;
  adapters::certificates::PemCertificateLoader loader;
  const auto loaded = loader.load(config::CertbotLineageSource{"absent", dir.path().string()},
                                  ports::CertificateLoader::PrivateKeyUse::Skip);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().kind, ErrorKind::NotFound);
  EXPECT_NE(loaded.error().message.find("certbot lineage 'absent'"), std::string::npos);
  EXPECT_NE(loaded.error().message.find("live/absent"), std::string::npos)
      << loaded.error().message;
}

}  // namespace
}  // namespace daneguard::testing
