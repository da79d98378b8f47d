// The decision logic of `daneguard verify` (app/verify.hpp) against a scripted DaneLookup and
// TlsProbe: which endpoints get probed, how DNSSEC statuses end the check early, which lines
// are printed and which exit status results.
#include "app/verify.hpp"

#include <gtest/gtest.h>

#include <map>
#include <utility>

#include "core/digest.hpp"
#include "core/hex.hpp"

namespace daneguard::app {
namespace {

using ports::DnssecStatus;
using ports::ProbeKeyType;

CertificateChain chainWith(std::uint8_t seed, KeyAlgorithm algorithm) {
  CertificateFacts leaf;
  leaf.der = Bytes{seed, 1, 2, 3};
  leaf.public_key.algorithm = algorithm;
  leaf.public_key.bits = algorithm == KeyAlgorithm::Rsa ? 2048 : 256;
  leaf.public_key.spki_der = Bytes{seed, 9, 9, 9};
  CertificateFacts issuer;
  issuer.der = Bytes{static_cast<std::uint8_t>(seed + 100), 1};
  issuer.public_key.algorithm = algorithm;
  issuer.public_key.spki_der = Bytes{static_cast<std::uint8_t>(seed + 100), 7};
  issuer.is_ca = true;
  return CertificateChain{{leaf, issuer}};
}

TlsaRecord eeRecordFor(const CertificateChain& chain) {
  return TlsaRecord{{TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha256},
                    sha256(chain.leaf().public_key.spki_der)};
}

TlsaRecord staleTaRecord() {
  return TlsaRecord{{TlsaUsage::DaneTa, TlsaSelector::Spki, TlsaMatchingType::Sha256},
                    Bytes(32, 0xab)};
}

class FakeLookup final : public ports::DaneLookup {
 public:
  std::map<std::string, Result<ports::ValidatedTlsa>> tlsa_answers;
  std::map<std::string, Result<ports::ValidatedAddresses>> address_answers;
  std::map<std::string, Result<ports::ValidatedMx>> mx_answers;
  std::vector<std::string> asked;

  Result<ports::ValidatedTlsa> tlsa(const std::string& owner) override {
    asked.push_back("TLSA " + owner);
    const auto found = tlsa_answers.find(owner);
    if (found == tlsa_answers.end()) return fail(ErrorKind::Internal, "unexpected " + owner);
    return found->second;
  }
  Result<ports::ValidatedAddresses> addresses(const std::string& host) override {
    asked.push_back("ADDR " + host);
    const auto found = address_answers.find(host);
    if (found == address_answers.end()) return fail(ErrorKind::Internal, "unexpected " + host);
    return found->second;
  }
  Result<ports::ValidatedMx> mx(const std::string& domain) override {
    asked.push_back("MX " + domain);
    const auto found = mx_answers.find(domain);
    if (found == mx_answers.end()) return fail(ErrorKind::Internal, "unexpected " + domain);
    return found->second;
  }

  void secureHost(const std::string& host, std::vector<std::string> addresses,
                  std::vector<TlsaRecord> records, std::uint16_t port = 25) {
    address_answers.emplace(
        host, ports::ValidatedAddresses{host, DnssecStatus::Secure, std::move(addresses), ""});
    const std::string owner = "_" + std::to_string(port) + "._tcp." + host + ".";
    tlsa_answers.emplace(owner,
                         ports::ValidatedTlsa{owner, DnssecStatus::Secure, true, std::move(records),
                                              std::chrono::seconds(300), ""});
  }
};

/// Serves, per key type asked, a chain (or an error); authenticates as OpenSSL would for the
/// simple DANE-EE case: a 3 1 1 record equal to the leaf's SPKI digest.
class FakeProbe final : public ports::TlsProbe {
 public:
  std::map<ProbeKeyType, CertificateChain> chains;  // missing key type: handshake failure
  std::vector<ports::ProbeTarget> targets;

  Result<ports::ProbeResult> probe(const ports::ProbeTarget& target) override {
    targets.push_back(target);
    auto chain = chains.find(target.key_type);
    if (chain == chains.end()) {
      return fail(ErrorKind::Rejected,
                  target.describe() + ": TLS handshake failed: alert handshake failure");
    }
    ports::ProbeResult result;
    result.target = target;
    result.tls_version = "TLSv1.3";
    result.presented = chain->second;
    for (const TlsaRecord& record : target.tlsa) {
      if (record == eeRecordFor(chain->second)) {
        result.dane.authenticated = true;
        result.dane.matched = record;
        result.dane.depth = 0;
      }
    }
    if (!result.dane.authenticated) result.dane.reason = "No matching DANE TLSA records";
    return result;
  }
};

std::vector<std::string> lines(const VerifyReport& report) {
  std::vector<std::string> out;
  for (const VerifyLine& line : report.lines)
    out.push_back(formatVerifyLine(line));
  return out;
}

VerifyRequest hostRequest(std::string host, std::uint16_t port = 25) {
  VerifyRequest request;
  request.host = std::move(host);
  request.port = port;
  return request;
}

TEST(Verify, ecdsaOnlyServerAuthenticatesAndRsaIsSkippedByDefault) {
  const CertificateChain ecdsa = chainWith(1, KeyAlgorithm::EcdsaP256);
  FakeLookup lookup;
  lookup.secureHost("mail.example.test", {"127.0.0.1"}, {eeRecordFor(ecdsa)});
  FakeProbe probe;
  probe.chains[ProbeKeyType::Ecdsa] = ecdsa;

  auto report = runVerify(hostRequest("mail.example.test"), lookup, probe);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->exit_code, kVerifyAuthenticated);
  const auto printed = lines(*report);
  ASSERT_EQ(printed.size(), 2u);
  EXPECT_TRUE(printed[0].starts_with("SKIP   mail.example.test[127.0.0.1]:25 rsa: no rsa "))
      << printed[0];
  EXPECT_EQ(printed[1],
            "OK     mail.example.test[127.0.0.1]:25 ecdsa TLSv1.3 3 1 1 matched leaf "
            "(depth 0)");
  ASSERT_EQ(probe.targets.size(), 2u);
  EXPECT_EQ(probe.targets[1].sni, "mail.example.test");
  EXPECT_EQ(probe.targets[1].protocol, StartTlsProtocol::Smtp);
  EXPECT_EQ(probe.targets[1].tlsa, std::vector<TlsaRecord>{eeRecordFor(ecdsa)});
}

TEST(Verify, dualCertificatesWithARecordForOnlyOneFail) {
  const CertificateChain rsa = chainWith(2, KeyAlgorithm::Rsa);
  const CertificateChain ecdsa = chainWith(3, KeyAlgorithm::EcdsaP256);
  FakeLookup lookup;
  lookup.secureHost("mail.example.test", {"127.0.0.1"}, {eeRecordFor(ecdsa)});
  FakeProbe probe;
  probe.chains[ProbeKeyType::Rsa] = rsa;
  probe.chains[ProbeKeyType::Ecdsa] = ecdsa;

  auto report = runVerify(hostRequest("mail.example.test"), lookup, probe);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->exit_code, kVerifyAuthenticationFailed);
  const auto printed = lines(*report);
  ASSERT_EQ(printed.size(), 2u);
  EXPECT_TRUE(
      printed[0].starts_with("FAIL   mail.example.test[127.0.0.1]:25 rsa: no TLSA record "
                             "matches the chain (No matching DANE TLSA records"))
      << printed[0];
  // The FAIL line names the record that would match what is served.
  EXPECT_NE(printed[0].find("3 1 1 " + toHex(sha256(rsa.leaf().public_key.spki_der))),
            std::string::npos);
  EXPECT_TRUE(printed[1].starts_with("OK     mail.example.test[127.0.0.1]:25 ecdsa"));
}

TEST(Verify, sameCertificateForBothKeyTypesIsReportedOnce) {
  const CertificateChain ecdsa = chainWith(4, KeyAlgorithm::EcdsaP256);
  FakeLookup lookup;
  lookup.secureHost("mail.example.test", {"127.0.0.1"}, {eeRecordFor(ecdsa)});
  FakeProbe probe;
  probe.chains[ProbeKeyType::Rsa] = ecdsa;  // a server that ignores signature_algorithms
  probe.chains[ProbeKeyType::Ecdsa] = ecdsa;
  auto report = runVerify(hostRequest("mail.example.test"), lookup, probe);
  ASSERT_TRUE(report);
  EXPECT_EQ(lines(*report),
            std::vector<std::string>{"OK     mail.example.test[127.0.0.1]:25 ecdsa TLSv1.3 "
                                     "3 1 1 matched leaf (depth 0)"});
}

TEST(Verify, explicitKeyTypeWithoutCertificateFails) {
  const CertificateChain ecdsa = chainWith(5, KeyAlgorithm::EcdsaP256);
  FakeLookup lookup;
  lookup.secureHost("mail.example.test", {"127.0.0.1"}, {eeRecordFor(ecdsa)});
  FakeProbe probe;
  probe.chains[ProbeKeyType::Ecdsa] = ecdsa;
  VerifyRequest request = hostRequest("mail.example.test");
  request.key_types = {ProbeKeyType::Rsa, ProbeKeyType::Ecdsa};
  auto report = runVerify(request, lookup, probe);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->exit_code, kVerifyAuthenticationFailed);
  EXPECT_TRUE(lines(*report)[0].starts_with("FAIL   mail.example.test[127.0.0.1]:25 rsa: "));
}

TEST(Verify, unmatchedParameterCombinationWarnsButAuthenticates) {
  const CertificateChain ecdsa = chainWith(6, KeyAlgorithm::EcdsaP256);
  FakeLookup lookup;
  lookup.secureHost("mail.example.test", {"127.0.0.1"}, {eeRecordFor(ecdsa), staleTaRecord()});
  FakeProbe probe;
  probe.chains[ProbeKeyType::Ecdsa] = ecdsa;
  VerifyRequest request = hostRequest("mail.example.test");
  request.key_types = {ProbeKeyType::Ecdsa};
  auto report = runVerify(request, lookup, probe);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->exit_code, kVerifyAuthenticated);
  const auto printed = lines(*report);
  ASSERT_EQ(printed.size(), 2u);
  EXPECT_TRUE(printed[0].starts_with("OK "));
  EXPECT_TRUE(
      printed[1].starts_with("WARN   mail.example.test[127.0.0.1]:25 ecdsa: RFC 7671 §8: "
                             "none of the 1 2 1 1 (DANE-TA SPKI SHA2-256) record(s)"))
      << printed[1];
}

TEST(Verify, insecureTlsaMeansNoDaneAndNoProbe) {
  FakeLookup lookup;
  lookup.address_answers.emplace(
      "mail.example.test",
      ports::ValidatedAddresses{"mail.example.test", DnssecStatus::Insecure, {"127.0.0.1"}, ""});
  lookup.tlsa_answers.emplace("_25._tcp.mail.example.test.",
                              ports::ValidatedTlsa{"_25._tcp.mail.example.test.",
                                                   DnssecStatus::Insecure,
                                                   true,
                                                   {staleTaRecord()},
                                                   std::chrono::seconds(1),
                                                   ""});
  FakeProbe probe;
  auto report = runVerify(hostRequest("mail.example.test"), lookup, probe);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->exit_code, kVerifyNoDane);
  EXPECT_TRUE(probe.targets.empty());
  // An unsigned zone is reported as such, not as "unsigned addresses".
  EXPECT_EQ(lookup.asked, std::vector<std::string>{"TLSA _25._tcp.mail.example.test."});
  EXPECT_EQ(lines(*report), std::vector<std::string>{
                                "NODANE mail.example.test:25: no DANE: zone unsigned (the TLSA "
                                "lookup for _25._tcp.mail.example.test. is not DNSSEC-secure)"});
}

TEST(Verify, bogusTlsaIsReportedWithTheValidatorsReason) {
  FakeLookup lookup;
  lookup.address_answers.emplace(
      "mail.example.test",
      ports::ValidatedAddresses{"mail.example.test", DnssecStatus::Secure, {"127.0.0.1"}, ""});
  lookup.tlsa_answers.emplace(
      "_25._tcp.mail.example.test.",
      ports::ValidatedTlsa{
          "_25._tcp.mail.example.test.", DnssecStatus::Bogus, true, {}, {}, "signature expired"});
  FakeProbe probe;
  auto report = runVerify(hostRequest("mail.example.test"), lookup, probe);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->exit_code, kVerifyBogus);
  EXPECT_TRUE(probe.targets.empty());
  const auto printed = lines(*report);
  ASSERT_EQ(printed.size(), 1u);
  EXPECT_TRUE(printed[0].starts_with("BOGUS  mail.example.test:25: "));
  EXPECT_NE(printed[0].find("signature expired"), std::string::npos);
}

TEST(Verify, provenAbsentTlsaMeansNoDane) {
  FakeLookup lookup;
  lookup.address_answers.emplace(
      "mail.example.test",
      ports::ValidatedAddresses{"mail.example.test", DnssecStatus::Secure, {"127.0.0.1"}, ""});
  lookup.tlsa_answers.emplace(
      "_25._tcp.mail.example.test.",
      ports::ValidatedTlsa{"_25._tcp.mail.example.test.", DnssecStatus::Secure, false, {}, {}, ""});
  FakeProbe probe;
  auto report = runVerify(hostRequest("mail.example.test"), lookup, probe);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->exit_code, kVerifyNoDane);
  EXPECT_NE(lines(*report)[0].find("no TLSA records at _25._tcp.mail.example.test."),
            std::string::npos);
}

TEST(Verify, insecureAddressesMeanNoDaneEvenWithSecureTlsa) {
  const CertificateChain ecdsa = chainWith(13, KeyAlgorithm::EcdsaP256);
  FakeLookup lookup;
  lookup.secureHost("mail.example.test", {"127.0.0.1"}, {eeRecordFor(ecdsa)});
  lookup.address_answers.at("mail.example.test")->status = DnssecStatus::Insecure;
  FakeProbe probe;
  probe.chains[ProbeKeyType::Ecdsa] = ecdsa;
  auto report = runVerify(hostRequest("mail.example.test"), lookup, probe);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->exit_code, kVerifyNoDane);
  EXPECT_TRUE(probe.targets.empty());
  EXPECT_NE(lines(*report)[0].find("address records of mail.example.test are not DNSSEC-signed"),
            std::string::npos);
}

TEST(Verify, everyMxHostAndEveryAddressIsProbedOnPort25) {
  const CertificateChain ecdsa = chainWith(7, KeyAlgorithm::EcdsaP256);
  FakeLookup lookup;
  lookup.mx_answers.emplace("example.test",
                            ports::ValidatedMx{"example.test",
                                               DnssecStatus::Secure,
                                               {{10, "mx1.example.test"}, {20, "mx2.example.test"}},
                                               true,
                                               ""});
  lookup.secureHost("mx1.example.test", {"127.0.0.2", "::1"}, {eeRecordFor(ecdsa)});
  lookup.secureHost("mx2.example.test", {"127.0.0.3"}, {eeRecordFor(ecdsa)});
  FakeProbe probe;
  probe.chains[ProbeKeyType::Ecdsa] = ecdsa;
  VerifyRequest request;
  request.mx_domain = "example.test";
  request.key_types = {ProbeKeyType::Ecdsa};
  auto report = runVerify(request, lookup, probe);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->exit_code, kVerifyAuthenticated);
  std::vector<std::string> probed;
  for (const auto& target : probe.targets)
    probed.push_back(target.describe() + " " + target.sni);
  EXPECT_EQ(probed, (std::vector<std::string>{"mx1.example.test[127.0.0.2]:25 mx1.example.test",
                                              "mx1.example.test[::1]:25 mx1.example.test",
                                              "mx2.example.test[127.0.0.3]:25 mx2.example.test"}));
  EXPECT_EQ(lines(*report).size(), 3u);
}

TEST(Verify, domainWithoutMxIsItsOwnMailHost) {
  const CertificateChain ecdsa = chainWith(8, KeyAlgorithm::EcdsaP256);
  FakeLookup lookup;
  lookup.mx_answers.emplace(
      "example.test", ports::ValidatedMx{"example.test", DnssecStatus::Secure, {}, false, ""});
  lookup.secureHost("example.test", {"127.0.0.1"}, {eeRecordFor(ecdsa)});
  FakeProbe probe;
  probe.chains[ProbeKeyType::Ecdsa] = ecdsa;
  VerifyRequest request;
  request.mx_domain = "example.test";
  auto report = runVerify(request, lookup, probe);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->exit_code, kVerifyAuthenticated);
  ASSERT_FALSE(probe.targets.empty());
  EXPECT_EQ(probe.targets.back().describe(), "example.test[127.0.0.1]:25");
}

TEST(Verify, bogusMxStopsBeforeAnyProbe) {
  FakeLookup lookup;
  lookup.mx_answers.emplace("example.test", ports::ValidatedMx{"example.test",
                                                               DnssecStatus::Bogus,
                                                               {{10, "mx.example.test"}},
                                                               true,
                                                               "DS hash mismatches key"});
  FakeProbe probe;
  VerifyRequest request;
  request.mx_domain = "example.test";
  auto report = runVerify(request, lookup, probe);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->exit_code, kVerifyBogus);
  EXPECT_TRUE(probe.targets.empty());
  EXPECT_NE(lines(*report)[0].find("DS hash mismatches key"), std::string::npos);
}

TEST(Verify, mxLookupFailureIsAnError) {
  FakeLookup lookup;
  lookup.mx_answers.emplace("example.test",
                            fail(ErrorKind::Transient, "looking up example.test. MX: timeout"));
  FakeProbe probe;
  VerifyRequest request;
  request.mx_domain = "example.test";
  auto report = runVerify(request, lookup, probe);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().kind, ErrorKind::Transient);
}

TEST(Verify, tlsaLookupFailureOfOneHostDoesNotHideTheOthers) {
  const CertificateChain ecdsa = chainWith(9, KeyAlgorithm::EcdsaP256);
  FakeLookup lookup;
  lookup.mx_answers.emplace("example.test",
                            ports::ValidatedMx{"example.test",
                                               DnssecStatus::Secure,
                                               {{10, "mx1.example.test"}, {20, "mx2.example.test"}},
                                               true,
                                               ""});
  lookup.address_answers.emplace(
      "mx1.example.test",
      ports::ValidatedAddresses{"mx1.example.test", DnssecStatus::Secure, {"127.0.0.2"}, ""});
  lookup.tlsa_answers.emplace("_25._tcp.mx1.example.test.",
                              fail(ErrorKind::Transient, "SERVFAIL from the resolver"));
  lookup.secureHost("mx2.example.test", {"127.0.0.3"}, {eeRecordFor(ecdsa)});
  FakeProbe probe;
  probe.chains[ProbeKeyType::Ecdsa] = ecdsa;
  VerifyRequest request;
  request.mx_domain = "example.test";
  auto report = runVerify(request, lookup, probe);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->exit_code, exitCodeFor(ErrorKind::Transient));
  const auto printed = lines(*report);
  EXPECT_EQ(printed.front(), "ERROR  mx1.example.test:25: SERVFAIL from the resolver");
  EXPECT_TRUE(printed.back().starts_with("OK     mx2.example.test[127.0.0.3]:25 ecdsa"));
}

TEST(Verify, authenticationFailureOutranksNoDaneAndBogusOutranksBoth) {
  const CertificateChain ecdsa = chainWith(10, KeyAlgorithm::EcdsaP256);
  FakeLookup lookup;
  lookup.mx_answers.emplace(
      "example.test",
      ports::ValidatedMx{"example.test",
                         DnssecStatus::Secure,
                         {{10, "a.example.test"}, {20, "b.example.test"}, {30, "c.example.test"}},
                         true,
                         ""});
  lookup.address_answers.emplace(
      "a.example.test",
      ports::ValidatedAddresses{"a.example.test", DnssecStatus::Insecure, {"127.0.0.2"}, ""});
  lookup.secureHost("b.example.test", {"127.0.0.3"}, {staleTaRecord()});
  FakeProbe probe;
  probe.chains[ProbeKeyType::Ecdsa] = ecdsa;
  VerifyRequest request;
  request.mx_domain = "example.test";
  request.key_types = {ProbeKeyType::Ecdsa};
  lookup.address_answers.emplace(
      "c.example.test",
      ports::ValidatedAddresses{"c.example.test", DnssecStatus::Secure, {"127.0.0.4"}, ""});
  lookup.tlsa_answers.emplace(
      "_25._tcp.c.example.test.",
      ports::ValidatedTlsa{
          "_25._tcp.c.example.test.", DnssecStatus::Bogus, false, {}, {}, "no signatures"});
  auto with_bogus = runVerify(request, lookup, probe);
  ASSERT_TRUE(with_bogus);
  EXPECT_EQ(with_bogus->exit_code, kVerifyBogus);

  lookup.mx_answers.at("example.test")->hosts.pop_back();
  auto without_bogus = runVerify(request, lookup, probe);
  ASSERT_TRUE(without_bogus);
  EXPECT_EQ(without_bogus->exit_code, kVerifyAuthenticationFailed);
}

TEST(Verify, givenRecordsSkipTheTlsaLookupAndAcceptUnsignedAddresses) {
  const CertificateChain ecdsa = chainWith(11, KeyAlgorithm::EcdsaP256);
  FakeLookup lookup;
  lookup.address_answers.emplace(
      "mail.example.test",
      ports::ValidatedAddresses{"mail.example.test", DnssecStatus::Insecure, {"127.0.0.1"}, ""});
  FakeProbe probe;
  probe.chains[ProbeKeyType::Ecdsa] = ecdsa;
  VerifyRequest request = hostRequest("mail.example.test", 465);
  request.protocol = StartTlsProtocol::Implicit;
  request.given_tlsa = {eeRecordFor(ecdsa)};
  auto report = runVerify(request, lookup, probe);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->exit_code, kVerifyAuthenticated);
  EXPECT_EQ(lookup.asked, std::vector<std::string>{"ADDR mail.example.test"});  // no TLSA
  EXPECT_EQ(probe.targets.back().protocol, StartTlsProtocol::Implicit);
  EXPECT_EQ(probe.targets.back().port, 465);
}

TEST(Verify, addressLiteralNeedsGivenRecordsAndGetsNoSni) {
  FakeLookup lookup;
  FakeProbe probe;
  auto refused = runVerify(hostRequest("127.0.0.1"), lookup, probe);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::Usage);

  const CertificateChain ecdsa = chainWith(12, KeyAlgorithm::EcdsaP256);
  probe.chains[ProbeKeyType::Any] = ecdsa;
  VerifyRequest request = hostRequest("::1", 4433);
  request.given_tlsa = {eeRecordFor(ecdsa)};
  request.key_types = {ProbeKeyType::Any};
  auto report = runVerify(request, lookup, probe);
  ASSERT_TRUE(report);
  EXPECT_TRUE(lookup.asked.empty());
  EXPECT_EQ(probe.targets.back().sni, "");
  EXPECT_EQ(lines(*report).front(),
            "OK     ::1[::1]:4433 ecdsa TLSv1.3 3 1 1 matched leaf (depth 0)");
}

TEST(Verify, keyTypeListsParse) {
  auto both = parseProbeKeyTypes("rsa,ECDSA");
  ASSERT_TRUE(both);
  EXPECT_EQ(*both, (std::vector<ProbeKeyType>{ProbeKeyType::Rsa, ProbeKeyType::Ecdsa}));
  auto any = parseProbeKeyTypes("any");
  ASSERT_TRUE(any);
  EXPECT_EQ(*any, std::vector<ProbeKeyType>{ProbeKeyType::Any});
  EXPECT_FALSE(parseProbeKeyTypes("any,rsa"));
  EXPECT_FALSE(parseProbeKeyTypes("dsa"));
  EXPECT_FALSE(parseProbeKeyTypes(""));
}

}  // namespace
}  // namespace daneguard::app
