// Cross-checks the facts daneguard extracts against the openssl CLI, an independent reading of
// the same files.
#include "adapters/openssl/x509_facts.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <string>
#include <vector>

#include "adapters/openssl/pem_bundle.hpp"
#include "support/run_command.hpp"
#include "support/test_pki.hpp"

namespace daneguard::adapters::openssl {
namespace {

using daneguard::testing::runCommand;
using daneguard::testing::testPkiDir;

std::string openssl(const std::vector<std::string>& arguments, const std::string& input = {}) {
  std::vector<std::string> argv{"openssl"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const auto result = runCommand(argv, input);
  if (result.exit_code != 0) ADD_FAILURE() << "openssl failed: " << result.err;
  return result.out;
}

Bytes bytesOf(const std::string& text) {
  return Bytes(text.begin(), text.end());
}

std::string afterEquals(std::string line) {
  while (!line.empty() && line.back() == '\n')
    line.pop_back();
  return line.substr(line.find('=') + 1);
}

// "notAfter=Feb 24 00:51:36 2027 GMT" -> seconds since the epoch, in UTC.
std::chrono::sys_seconds cliTime(const std::string& line) {
  std::string text = afterEquals(line);
  std::tm parts{};
  const char* end = strptime(text.c_str(), "%b %d %H:%M:%S %Y GMT", &parts);
  EXPECT_NE(end, nullptr) << "cannot parse openssl time: " << text;
  return std::chrono::sys_seconds{std::chrono::seconds{timegm(&parts)}};
}

std::vector<std::string> cliDnsNames(const std::string& pem) {
  const std::string text = openssl({"x509", "-noout", "-ext", "subjectAltName"}, pem);
  std::vector<std::string> names;
  for (std::size_t at = text.find("DNS:"); at != std::string::npos; at = text.find("DNS:", at)) {
    at += 4;
    const std::size_t end = text.find_first_of(", \n", at);
    names.push_back(text.substr(at, end - at));
  }
  return names;
}

std::string keyTypeName(const ::testing::TestParamInfo<std::string>& param_info) {
  std::string name = param_info.param;
  for (char& c : name)
    c = c == '-' ? '_' : c;
  return name;
}

class X509FactsAgainstCli : public ::testing::TestWithParam<std::string> {};

TEST_P(X509FactsAgainstCli, EveryCertificateOfThePkiAgrees) {
  const auto dir = testPkiDir(GetParam());
  const auto chain = loadCertificateChain(dir / "fullchain.pem");
  ASSERT_TRUE(chain) << chain.error().message;
  ASSERT_EQ(chain->certificates.size(), 2U);
  for (const char* name : {"leaf", "intermediate", "root"}) {
    SCOPED_TRACE(name);
    const std::string pem_path = (dir / (std::string(name) + ".pem")).string();
    const std::string der = openssl({"x509", "-in", pem_path, "-outform", "DER"});
    // fullchain.pem has no root: the root's facts come through the DER entry point.
    const auto via_der = certificateFactsFromDer(Bytes(der.begin(), der.end()));
    ASSERT_TRUE(via_der) << via_der.error().message;
    const CertificateFacts& facts = std::string(name) == "leaf"           ? chain->certificates[0]
                                    : std::string(name) == "intermediate" ? chain->certificates[1]
                                                                          : *via_der;
    const std::string pem = openssl({"x509", "-in", pem_path});

    EXPECT_EQ(facts.der, bytesOf(openssl({"x509", "-outform", "DER"}, pem)));
    const std::string public_key_pem = openssl({"x509", "-pubkey", "-noout"}, pem);
    EXPECT_EQ(facts.public_key.spki_der,
              bytesOf(openssl({"pkey", "-pubin", "-outform", "DER"}, public_key_pem)));
    EXPECT_EQ(facts.subject,
              afterEquals(openssl({"x509", "-noout", "-subject", "-nameopt", "RFC2253"}, pem)));
    EXPECT_EQ(facts.issuer,
              afterEquals(openssl({"x509", "-noout", "-issuer", "-nameopt", "RFC2253"}, pem)));
    EXPECT_EQ(facts.serial_hex, afterEquals(openssl({"x509", "-noout", "-serial"}, pem)));
    EXPECT_EQ(facts.not_before, cliTime(openssl({"x509", "-noout", "-startdate"}, pem)));
    EXPECT_EQ(facts.not_after, cliTime(openssl({"x509", "-noout", "-enddate"}, pem)));
    EXPECT_EQ(facts.dns_names, cliDnsNames(pem));
    EXPECT_EQ(facts.is_ca, std::string(name) != "leaf");

    // The DER entry point sees the same certificate.
    const auto from_der = certificateFactsFromDer(facts.der);
    ASSERT_TRUE(from_der) << from_der.error().message;
    EXPECT_EQ(from_der->public_key.spki_der, facts.public_key.spki_der);
    EXPECT_EQ(from_der->dns_names, facts.dns_names);
  }
}

TEST_P(X509FactsAgainstCli, KeyAlgorithmIsTheGeneratedOne) {
  const std::string type = GetParam();
  const std::string expected = type == "rsa2048"      ? "RSA-2048"
                               : type == "ecdsa-p256" ? "ECDSA-P256"
                               : type == "ecdsa-p384" ? "ECDSA-P384"
                                                      : "Ed25519";
  const auto chain = loadCertificateChain(testPkiDir(type) / "leaf.pem");
  ASSERT_TRUE(chain) << chain.error().message;
  EXPECT_EQ(chain->leaf().public_key.description(), expected);
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, X509FactsAgainstCli,
                         ::testing::ValuesIn(daneguard::testing::testPkiKeyTypes()), keyTypeName);

TEST(CertificateFactsFromDer, SansAreLowerCasedAndOtherNameTypesIgnored) {
  const auto dir = testPkiDir("ecdsa-p256");
  // A self-signed certificate made by the CLI with mixed-case names, an IP and an email SAN.
  const std::string pem = openssl(
      {"req", "-x509", "-new", "-key", (dir / "leaf.key").string(), "-subj", "/CN=Mixed.Example",
       "-days", "1", "-addext",
       "subjectAltName=DNS:Mixed.EXAMPLE.test,IP:192.0.2.1,email:a@b.test,DNS:*.Wild.test"});
  const auto facts = certificateFactsFromDer(bytesOf(openssl({"x509", "-outform", "DER"}, pem)));
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->dns_names, (std::vector<std::string>{"mixed.example.test", "*.wild.test"}));
  EXPECT_EQ(facts->subject, "CN=Mixed.Example");
}

TEST(CertificateFactsFromDer, RefusesGarbageTrailingBytesAndEmptyInput) {
  const auto leaf = loadCertificateChain(testPkiDir("rsa2048") / "leaf.pem");
  ASSERT_TRUE(leaf);
  Bytes with_trailer = leaf->leaf().der;
  with_trailer.push_back(0);
  const auto trailing = certificateFactsFromDer(with_trailer);
  ASSERT_FALSE(trailing);
  EXPECT_NE(trailing.error().message.find("trailing bytes"), std::string::npos);

  const Bytes garbage{0x30, 0x03, 0x02, 0x01, 0x01};
  const auto not_certificate = certificateFactsFromDer(garbage);
  ASSERT_FALSE(not_certificate);
  EXPECT_EQ(not_certificate.error().kind, ErrorKind::InvalidInput);
  EXPECT_TRUE(not_certificate.error().message.starts_with("not a DER certificate"));

  EXPECT_FALSE(certificateFactsFromDer(Bytes{}));
}

}  // namespace
}  // namespace daneguard::adapters::openssl
