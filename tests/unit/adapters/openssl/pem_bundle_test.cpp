// Good inputs: every layout ACME clients write, every key encoding, any block order. Expected
// values come from the openssl CLI or from how tools/gen-test-pki.sh built the PKI.
#include "adapters/openssl/pem_bundle.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"

namespace daneguard::adapters::openssl {
namespace {

using daneguard::testing::runCommand;
using daneguard::testing::TempDir;
using daneguard::testing::testPkiDir;

std::string readText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string openssl(const std::vector<std::string>& arguments, const std::string& input = {}) {
  std::vector<std::string> argv{"openssl"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const auto result = runCommand(argv, input);
  if (result.exit_code != 0) ADD_FAILURE() << "openssl failed: " << result.err;
  return result.out;
}

Bytes derOf(const std::filesystem::path& pem) {
  const std::string der = openssl({"x509", "-in", pem.string(), "-outform", "DER"});
  return Bytes(der.begin(), der.end());
}

std::vector<Bytes> dersOf(const CertificateChain& chain) {
  std::vector<Bytes> ders;
  for (const auto& certificate : chain.certificates)
    ders.push_back(certificate.der);
  return ders;
}

std::string keyTypeName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

class PemBundle : public ::testing::TestWithParam<std::string> {
 protected:
  std::filesystem::path pki(const std::string& file) const { return testPkiDir(GetParam()) / file; }
  std::vector<Bytes> leafAndIntermediate() const {
    return {derOf(pki("leaf.pem")), derOf(pki("intermediate.pem"))};
  }
  std::string cliSpki() const {
    return openssl({"pkey", "-in", pki("leaf.key").string(), "-pubout", "-outform", "DER"});
  }
  TempDir temp_;
};

TEST_P(PemBundle, CombinedKeyLeafChainLoadsWithMatchingKey) {
  const auto loaded = loadPemBundle(pki("combined.pem"));
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(dersOf(loaded->chain), leafAndIntermediate());
  EXPECT_EQ(loaded->chain.leaf().subject, "CN=mail.example.test");
  EXPECT_EQ(loaded->chain.leaf().dns_names,
            (std::vector<std::string>{"mail.example.test", "mx.example.test"}));
  const std::string spki = cliSpki();
  EXPECT_EQ(loaded->key.spki_der, Bytes(spki.begin(), spki.end()));
  ASSERT_TRUE(loaded->private_key_pem);
  // Re-encoded as PKCS#8, which is exactly what `openssl pkey` prints for the same key.
  EXPECT_EQ(loaded->private_key_pem->revealText(), openssl({"pkey", "-in", pki("leaf.key")}));
}

TEST_P(PemBundle, AnyBlockOrderGivesTheSameChain) {
  std::array<std::string, 4> blocks{readText(pki("leaf.key")), readText(pki("leaf.pem")),
                                    readText(pki("intermediate.pem")), readText(pki("root.pem"))};
  std::sort(blocks.begin(), blocks.end());
  const std::vector<Bytes> expected{derOf(pki("leaf.pem")), derOf(pki("intermediate.pem")),
                                    derOf(pki("root.pem"))};
  int orders = 0;
  do {
    const std::string text = blocks[0] + blocks[1] + blocks[2] + blocks[3];
    const auto loaded = loadPemBundleFromText(text, "permuted.pem");
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(dersOf(loaded->chain), expected);
    EXPECT_TRUE(loaded->private_key_pem);
    ++orders;
  } while (std::next_permutation(blocks.begin(), blocks.end()));
  EXPECT_EQ(orders, 24);
}

TEST_P(PemBundle, WithoutKeyTheLeafIsTheCertificateIssuingNoOther) {
  const std::string reversed =
      readText(pki("root.pem")) + readText(pki("intermediate.pem")) + readText(pki("leaf.pem"));
  const auto chain = loadCertificateChainFromText(reversed, "reversed.pem");
  ASSERT_TRUE(chain) << chain.error().message;
  EXPECT_EQ(chain->certificates.size(), 3U);
  EXPECT_EQ(chain->leaf().der, derOf(pki("leaf.pem")));
  EXPECT_TRUE(chain->certificates.back().is_ca);

  const auto bundle = loadPemBundleFromText(reversed, "reversed.pem");
  ASSERT_TRUE(bundle) << bundle.error().message;
  EXPECT_FALSE(bundle->private_key_pem);
  EXPECT_EQ(bundle->key.spki_der, bundle->chain.leaf().public_key.spki_der);
}

TEST_P(PemBundle, CrlfLineEndingsAreAccepted) {
  std::string crlf;
  for (const char c : readText(pki("combined.pem"))) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const auto file = temp_.write("crlf.pem", crlf);
  const auto loaded = loadPemBundle(file);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(dersOf(loaded->chain), leafAndIntermediate());
}

TEST_P(PemBundle, TextOutsideBlocksIsIgnored) {
  const std::string text = "# renewed by lego on Tuesday\nBag Attributes: none\n" +
                           readText(pki("leaf.pem")) + "comment between blocks\n" +
                           readText(pki("leaf.key")) + readText(pki("intermediate.pem")) +
                           "trailing garbage \x01\x02\xff without newline";
  const auto loaded = loadPemBundle(temp_.write("garbage.pem", text));
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(dersOf(loaded->chain), leafAndIntermediate());
}

TEST_P(PemBundle, DuplicatedCertificatesAreDroppedSilently) {
  const std::string text = readText(pki("fullchain.pem")) + readText(pki("intermediate.pem")) +
                           readText(pki("leaf.key")) + readText(pki("leaf.pem"));
  const auto loaded = loadPemBundleFromText(text, "dup.pem");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(dersOf(loaded->chain), leafAndIntermediate());
}

// PKCS#8 for every type; PKCS#1 for RSA and SEC1 (bare and after EC PARAMETERS) for ECDSA.
// Ed25519 has no traditional encoding, so it is PKCS#8 only.
TEST_P(PemBundle, EveryKeyEncodingOfTheTypeLoads) {
  const std::string type = GetParam();
  const std::string key_path = pki("leaf.key").string();
  std::vector<std::pair<std::string, std::string>> encodings{
      {"PRIVATE KEY", openssl({"pkey", "-in", key_path})}};
  if (type == "rsa2048") {
    encodings.emplace_back("RSA PRIVATE KEY", openssl({"rsa", "-in", key_path, "-traditional"}));
  } else if (type.starts_with("ecdsa")) {
    const std::string sec1 = openssl({"ec", "-in", key_path});
    const std::string curve = type == "ecdsa-p256" ? "prime256v1" : "secp384r1";
    encodings.emplace_back("EC PRIVATE KEY", sec1);
    encodings.emplace_back("EC PARAMETERS", openssl({"ecparam", "-name", curve}) + sec1);
  }
  const std::string expected_pkcs8 = openssl({"pkey", "-in", key_path});
  for (const auto& [label, key_pem] : encodings) {
    SCOPED_TRACE(label);
    ASSERT_NE(key_pem.find("-----BEGIN " + label + "-----"), std::string::npos) << key_pem;
    const auto loaded =
        loadPemBundleFromText(readText(pki("fullchain.pem")) + key_pem, "encoding.pem");
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_TRUE(loaded->private_key_pem);
    EXPECT_EQ(loaded->private_key_pem->revealText(), expected_pkcs8);
  }
}

TEST_P(PemBundle, CertbotLayoutLoads) {
  CertificateFiles files;
  files.certificate = pki("leaf.pem");
  files.chain = pki("chain.pem");
  files.private_key = pki("leaf.key");
  const auto loaded = loadCertificateFiles(files);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(dersOf(loaded->chain), leafAndIntermediate());
  EXPECT_TRUE(loaded->private_key_pem);

  files.fullchain = pki("fullchain.pem");  // all three together agree, so still fine
  const auto with_fullchain = loadCertificateFiles(files);
  ASSERT_TRUE(with_fullchain) << with_fullchain.error().message;
  EXPECT_EQ(dersOf(with_fullchain->chain), leafAndIntermediate());
}

TEST_P(PemBundle, FullchainAndKeyLoad) {
  CertificateFiles files;
  files.certificate = pki("fullchain.pem");
  files.private_key = pki("leaf.key");
  const auto loaded = loadCertificateFiles(files);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(dersOf(loaded->chain), leafAndIntermediate());
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, PemBundle,
                         ::testing::ValuesIn(daneguard::testing::testPkiKeyTypes()), keyTypeName);

TEST(CertificateFilesErrors, NameTheFileTheProblemCameFrom) {
  const auto rsa = testPkiDir("rsa2048");
  const auto ec = testPkiDir("ecdsa-p256");
  CertificateFiles files;
  files.certificate = rsa / "leaf.pem";
  files.chain = ec / "chain.pem";
  auto loaded = loadCertificateFiles(files);
  ASSERT_FALSE(loaded);
  EXPECT_TRUE(loaded.error().message.starts_with((ec / "chain.pem").string() +
                                                 ": certificate CN=daneguard test intermediate "
                                                 "ecdsa-p256 at line 1 is not part of the chain"))
      << loaded.error().message;

  files.chain = rsa / "chain.pem";
  files.private_key = ec / "leaf.key";
  loaded = loadCertificateFiles(files);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message,
            (ec / "leaf.key").string() +
                ": private key does not match the certificate for CN=mail.example.test "
                "(ECDSA-P256 key vs RSA-2048 certificate)");

  files.private_key = rsa / "chain.pem";
  loaded = loadCertificateFiles(files);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message,
            (rsa / "chain.pem").string() + ": no private key found in the key file");

  files.private_key = rsa / "missing.key";
  loaded = loadCertificateFiles(files);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().kind, ErrorKind::NotFound);
  EXPECT_EQ(loaded.error().message, (rsa / "missing.key").string() + ": no such file");

  files.private_key.reset();
  files.certificate = rsa;  // a directory
  loaded = loadCertificateFiles(files);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().kind, ErrorKind::InvalidInput);
  EXPECT_EQ(loaded.error().message,
            rsa.string() + ": is a directory, expected a certificate or key file");
}

TEST(PemBundleEdges, SelfSignedNonCaLeafAloneLoads) {
  const auto key = testPkiDir("ecdsa-p256") / "leaf.key";
  const std::string certificate =
      openssl({"req", "-x509", "-new", "-key", key.string(), "-subj", "/CN=self.example.test",
               "-days", "1", "-addext", "basicConstraints=critical,CA:FALSE"});
  const auto loaded = loadPemBundleFromText(readText(key) + certificate, "self.pem");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->chain.certificates.size(), 1U);
  EXPECT_FALSE(loaded->chain.leaf().is_ca);
}

TEST(PemBundleEdges, ExpiredCertificateStillLoads) {
  // OpenSSL 3.0's req/x509 cannot back-date; `openssl ca` can, given a throwaway CA database.
  const TempDir ca;
  ca.write("index.txt", "");
  ca.write("serial", "01\n");
  const auto config = ca.write("ca.cnf", "[ca]\ndefault_ca = test\n[test]\ndatabase = " +
                                             (ca.path() / "index.txt").string() +
                                             "\nnew_certs_dir = " + ca.path().string() +
                                             "\nserial = " + (ca.path() / "serial").string() +
                                             "\ndefault_md = sha256\npolicy = any\n"
                                             "[any]\ncommonName = supplied\n");
  const auto key = testPkiDir("rsa2048") / "leaf.key";
  const auto request = ca.write(
      "req.pem", openssl({"req", "-new", "-key", key.string(), "-subj", "/CN=old.example.test"}));
  const auto certificate = ca.path() / "old.pem";
  openssl({"ca", "-batch", "-config", config.string(), "-selfsign", "-keyfile", key.string(), "-in",
           request.string(), "-startdate", "20200101000000Z", "-enddate", "20200201000000Z",
           "-notext", "-out", certificate.string()});
  const auto loaded = loadCertificateChain(certificate);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->leaf().not_after, std::chrono::sys_days{std::chrono::year{2020} / 2 / 1});
  EXPECT_EQ(loaded->leaf().not_before, std::chrono::sys_days{std::chrono::year{2020} / 1 / 1});
}

TEST(PemBundleEdges, ChainLoaderSkipsKeysEvenEncryptedOnes) {
  const auto chain =
      loadCertificateChain(daneguard::testing::testDataPath("bad/certificates/encrypted-key.pem"));
  ASSERT_TRUE(chain) << chain.error().message;
  EXPECT_EQ(chain->certificates.size(), 2U);
}

}  // namespace
}  // namespace daneguard::adapters::openssl

namespace daneguard::adapters::openssl {
namespace {

// `openssl req -x509` marks a self-signed certificate CA:TRUE by default; DANE-EE operators use
// exactly that, so a lone self-signed certificate is accepted as the server's own.
TEST(PemBundleSelfSigned, LoneSelfSignedCaCertificateIsTheLeaf) {
  const testing::TempDir dir;
  const auto key = dir.path() / "key.pem";
  const auto cert = dir.path() / "cert.pem";
  const auto made =
      testing::runCommand({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                           "ec_paramgen_curve:P-256", "-nodes", "-keyout", key.string(), "-out",
                           cert.string(), "-days", "3", "-subj", "/CN=mail.example.test"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto text = testing::runCommand(
      {"openssl", "x509", "-in", cert.string(), "-noout", "-ext", "basicConstraints"});
  ASSERT_NE(text.out.find("CA:TRUE"), std::string::npos) << "premise: openssl marks it a CA";
  const auto loaded = loadCertificateFiles(
      {.certificate = cert, .chain = std::nullopt, .fullchain = std::nullopt, .private_key = key});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->chain.certificates.size(), 1U);
  EXPECT_TRUE(loaded->chain.leaf().is_ca);
}

}  // namespace
}  // namespace daneguard::adapters::openssl
