// Table-driven: every file of tests/data/bad/certificates must be refused with the right kind
// and a message that starts with the path and names the problem (README.md there says how each
// file was made).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/openssl/pem_bundle.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"

namespace daneguard::adapters::openssl {
namespace {

using daneguard::testing::testDataPath;

struct BadCase {
  std::string file;
  std::string problem;  // a phrase the message must contain
};

const std::vector<BadCase>& badCases() {
  static const std::vector<BadCase> cases{
      {"empty.pem", ": file is empty"},
      {"not-pem.pem", ": not PEM: no \"-----BEGIN ...-----\" line found"},
      {"truncated.pem", ": CERTIFICATE block at line 1 is truncated: no END line"},
      {"bad-base64.pem", ": CERTIFICATE block at line 1 is not valid base64 PEM"},
      {"not-der-in-certificate-block.pem",
       ": CERTIFICATE block at line 1 does not hold a DER certificate"},
      {"mismatched-end-line.pem",
       ": CERTIFICATE block at line 1 ends with a mismatched END PRIVATE KEY line"},
      {"key-mismatch.pem",
       ": private key does not match the certificate for CN=mail.example.test (ECDSA-P256 key "
       "vs RSA-2048 certificate)"},
      {"encrypted-key.pem", ": private key at line 1 is encrypted"},
      {"encrypted-key-legacy.pem", ": private key at line 1 is encrypted"},
      {"two-private-keys.pem", ": second private key at line"},
      {"unrelated-certificate-in-chain.pem",
       ": certificate CN=daneguard test intermediate ecdsa-p256 at line"},
      {"leaf-is-ca.pem",
       ": leaf certificate is a CA certificate (CN=daneguard test intermediate rsa2048"},
      {"no-certificate.pem", ": no certificate found (only a private key)"},
      {"unexpected-block.pem", ": CERTIFICATE REQUEST block at line 1 is not expected here"},
  };
  return cases;
}

std::string readText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(BadCertificates, EachFileIsRefusedNamingPathAndProblem) {
  for (const BadCase& bad : badCases()) {
    SCOPED_TRACE(bad.file);
    const auto path = testDataPath("bad/certificates/" + bad.file);
    const auto loaded = loadPemBundle(path);
    ASSERT_FALSE(loaded);
    const Error& error = loaded.error();
    EXPECT_EQ(error.kind, ErrorKind::InvalidInput);
    EXPECT_TRUE(error.message.starts_with(path.string() + bad.problem)) << error.message;
    EXPECT_EQ(error.message.find('\n'), std::string::npos) << error.message;

    // No line of key material may leak into the message.
    std::istringstream lines(readText(path));
    for (std::string line; std::getline(lines, line);) {
      if (line.size() >= 40 && !line.starts_with("-----")) {
        EXPECT_EQ(error.message.find(line.substr(0, 40)), std::string::npos) << error.message;
      }
    }
  }
}

TEST(BadCertificates, EveryCorpusFileHasAnExpectation) {
  std::set<std::string> expected;
  for (const BadCase& bad : badCases())
    expected.insert(bad.file);
  std::set<std::string> present;
  for (const auto& entry : std::filesystem::directory_iterator(testDataPath("bad/certificates"))) {
    if (entry.path().extension() == ".pem") present.insert(entry.path().filename().string());
  }
  EXPECT_EQ(present, expected);
}

TEST(BadCertificates, UnrelatedCertificateMessageNamesTheLeafToo) {
  const auto path = testDataPath("bad/certificates/unrelated-certificate-in-chain.pem");
  const auto loaded = loadPemBundle(path);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("is not part of the chain of CN=mail.example.test"),
            std::string::npos)
      << loaded.error().message;
}

TEST(BadCertificates, OverOneMebibyteIsRefusedBeforeParsing) {
  const daneguard::testing::TempDir dir;
  std::string huge = readText(daneguard::testing::testPkiDir("rsa2048") / "combined.pem");
  huge.resize(1024 * 1024 + 1, '#');
  const auto path = dir.write("over-1mib.pem", huge);
  const auto loaded = loadPemBundle(path);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().kind, ErrorKind::InvalidInput);
  EXPECT_TRUE(loaded.error().message.starts_with(path.string() + ": file is 1048577 bytes, over "
                                                                 "the 1 MiB limit"))
      << loaded.error().message;
  EXPECT_FALSE(loadPemBundleFromText(huge, "in-memory"));
}

TEST(BadCertificates, TooManyCertificatesAreRefused) {
  const std::string leaf = readText(daneguard::testing::testPkiDir("ed25519") / "leaf.pem");
  std::string many;
  for (std::size_t i = 0; i <= kMaxCertificatesPerBundle; ++i)
    many += leaf;
  const auto loaded = loadCertificateChainFromText(many, "many.pem");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message, "many.pem: more than 64 certificates; no chain is that long");
}

}  // namespace
}  // namespace daneguard::adapters::openssl
