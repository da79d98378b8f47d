// OpenSslTlsProbe against `openssl s_server` (implicit TLS): the chain as sent, DANE verdicts
// cross-checked with `openssl s_client`, key type selection on a dual-certificate server, and
// the per-endpoint errors for refused connections and TLS alerts.
#include <gtest/gtest.h>

#include "adapters/tls/openssl_tls_probe.hpp"
#include "integration/support/bind_fixture.hpp"
#include "integration/tls/tls_probe_test_support.hpp"
#include "integration/tls/tls_test_servers.hpp"
#include "support/test_pki.hpp"

namespace daneguard::testing {
namespace {

using adapters::tls::OpenSslTlsProbe;
using ports::ProbeKeyType;

std::filesystem::path pem(const std::string& key_type, const std::string& name) {
  return testPkiDir(key_type) / (name + ".pem");
}

TlsaRecord daneEe(const std::string& key_type) {
  return cliTlsaRecord(TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha256,
                       pem(key_type, "leaf"));
}

TEST(ImplicitTlsProbe, ReturnsTheChainAsSentAndAuthenticatesAMatchingDaneEeRecord) {
  OpensslServer server("rsa2048");
  const TlsaRecord record = daneEe("rsa2048");
  OpenSslTlsProbe prober;
  const auto result =
      prober.probe(probeTarget(server.port(), StartTlsProtocol::Implicit, {record}));
  ASSERT_TRUE(result) << result.error().message;

  const auto expected = cliDer({pem("rsa2048", "leaf"), pem("rsa2048", "intermediate")});
  ASSERT_EQ(result->presented.certificates.size(), 2U);
  EXPECT_EQ(result->presented.certificates[0].der, expected[0]);
  EXPECT_EQ(result->presented.certificates[1].der, expected[1]);
  EXPECT_EQ(result->presented.leaf().public_key.algorithm, KeyAlgorithm::Rsa);
  EXPECT_EQ(result->tls_version, "TLSv1.3");
  EXPECT_FALSE(result->cipher.empty());

  EXPECT_TRUE(result->dane.authenticated) << result->dane.reason;
  EXPECT_EQ(result->dane.depth, 0);
  ASSERT_TRUE(result->dane.matched.has_value());
  EXPECT_EQ(*result->dane.matched, record);

  const auto oracle = sClientDane("127.0.0.1", server.port(), "", {record});
  EXPECT_TRUE(oracle.verified) << oracle.transcript;
  EXPECT_EQ(oracle.depth, result->dane.depth);
}

TEST(ImplicitTlsProbe, DaneTaRecordOfTheIssuerMatchesAtDepthOne) {
  OpensslServer server("ecdsa-p256");
  const TlsaRecord issuer =
      cliTlsaRecord(TlsaUsage::DaneTa, TlsaSelector::Spki, TlsaMatchingType::Sha256,
                    pem("ecdsa-p256", "intermediate"));
  OpenSslTlsProbe prober;
  const auto result =
      prober.probe(probeTarget(server.port(), StartTlsProtocol::Implicit, {issuer}));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->dane.authenticated) << result->dane.reason;
  EXPECT_EQ(result->dane.depth, 1);
  EXPECT_EQ(result->dane.matched, issuer);

  const auto oracle = sClientDane("127.0.0.1", server.port(), "", {issuer});
  EXPECT_TRUE(oracle.verified) << oracle.transcript;
  EXPECT_EQ(oracle.depth, 1);
}

TEST(ImplicitTlsProbe, FullCertificateAndSha512RecordsMatchToo) {
  OpensslServer server("ecdsa-p384");
  OpenSslTlsProbe prober;
  for (const TlsaRecord& record :
       {cliTlsaRecord(TlsaUsage::DaneEe, TlsaSelector::Cert, TlsaMatchingType::Full,
                      pem("ecdsa-p384", "leaf")),
        cliTlsaRecord(TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha512,
                      pem("ecdsa-p384", "leaf"))}) {
    const auto result =
        prober.probe(probeTarget(server.port(), StartTlsProtocol::Implicit, {record}));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_TRUE(result->dane.authenticated) << rrdata(record) << ": " << result->dane.reason;
    EXPECT_EQ(result->dane.matched, record);
  }
}

TEST(ImplicitTlsProbe, WrongRecordCompletesTheHandshakeButDoesNotAuthenticate) {
  OpensslServer server("rsa2048");
  const TlsaRecord other_key = daneEe("ecdsa-p256");  // a real key, just not this server's
  OpenSslTlsProbe prober;
  const auto result =
      prober.probe(probeTarget(server.port(), StartTlsProtocol::Implicit, {other_key}));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(result->dane.authenticated);
  EXPECT_FALSE(result->dane.matched.has_value());
  EXPECT_NE(result->dane.reason.find("no matching DANE TLSA records"), std::string::npos)
      << result->dane.reason;
  ASSERT_FALSE(result->presented.certificates.empty());  // what is served is still reported

  const auto oracle = sClientDane("127.0.0.1", server.port(), "", {other_key});
  EXPECT_FALSE(oracle.verified) << oracle.transcript;
}

TEST(ImplicitTlsProbe, AStaleRecordBesideAGoodOneStillAuthenticatesLikeAnyDaneClient) {
  OpensslServer server("rsa2048");
  const std::vector<TlsaRecord> records{daneEe("ecdsa-p256"), daneEe("rsa2048")};
  OpenSslTlsProbe prober;
  const auto result = prober.probe(probeTarget(server.port(), StartTlsProtocol::Implicit, records));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->dane.authenticated);
  EXPECT_EQ(result->dane.matched, records[1]);
  EXPECT_TRUE(sClientDane("127.0.0.1", server.port(), "", records).verified);
}

TEST(ImplicitTlsProbe, UnusableRecordsAreReportedAsSuch) {
  OpensslServer server("rsa2048");
  TlsaRecord truncated = daneEe("rsa2048");
  truncated.data.resize(16);  // a SHA-256 digest of the wrong length
  OpenSslTlsProbe prober;
  const auto result =
      prober.probe(probeTarget(server.port(), StartTlsProtocol::Implicit, {truncated}));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(result->dane.authenticated);
  EXPECT_NE(result->dane.reason.find("usable"), std::string::npos) << result->dane.reason;
}

TEST(ImplicitTlsProbe, SendsTheBaseDomainAsSni) {
  ScriptedTlsServer server({.dialogue = [](PlainPeer&) { return true; }});
  OpenSslTlsProbe prober;
  const auto result = prober.probe(probeTarget(server.port(), StartTlsProtocol::Implicit));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(server.tlsCompleted());
  EXPECT_EQ(server.serverName(), kServiceName);
}

TEST(ImplicitTlsProbe, DualCertificateServerPresentsTheRequestedKeyType) {
  OpensslServer server("rsa2048", "ecdsa-p256");
  OpenSslTlsProbe prober;
  auto target = probeTarget(server.port(), StartTlsProtocol::Implicit,
                            {daneEe("rsa2048"), daneEe("ecdsa-p256")});

  target.key_type = ProbeKeyType::Rsa;
  const auto rsa = prober.probe(target);
  ASSERT_TRUE(rsa) << rsa.error().message;
  EXPECT_EQ(rsa->presented.leaf().der, cliDer({pem("rsa2048", "leaf")})[0]);
  EXPECT_TRUE(rsa->dane.authenticated);

  target.key_type = ProbeKeyType::Ecdsa;
  const auto ecdsa = prober.probe(target);
  ASSERT_TRUE(ecdsa) << ecdsa.error().message;
  EXPECT_EQ(ecdsa->presented.leaf().der, cliDer({pem("ecdsa-p256", "leaf")})[0]);
  EXPECT_EQ(ecdsa->presented.certificates.at(1).der,
            cliDer({pem("ecdsa-p256", "intermediate")})[0]);
  EXPECT_TRUE(ecdsa->dane.authenticated);

  // A record for only one of the two: the other key type must be reported unauthenticated.
  target.tlsa = {daneEe("rsa2048")};
  const auto uncovered = prober.probe(target);
  ASSERT_TRUE(uncovered) << uncovered.error().message;
  EXPECT_FALSE(uncovered->dane.authenticated);
  // The independent client agrees when it asks for the same key type.
  EXPECT_FALSE(sClientDane("127.0.0.1", server.port(), "", target.tlsa,
                           {"-sigalgs", adapters::tls::signatureAlgorithmsFor(ProbeKeyType::Ecdsa)})
                   .verified);
  EXPECT_TRUE(sClientDane("127.0.0.1", server.port(), "", target.tlsa,
                          {"-sigalgs", adapters::tls::signatureAlgorithmsFor(ProbeKeyType::Rsa)})
                  .verified);
}

TEST(ImplicitTlsProbe, AKeyTypeTheServerDoesNotHaveIsAHandshakeError) {
  OpensslServer server("rsa2048");
  OpenSslTlsProbe prober;
  auto target = probeTarget(server.port(), StartTlsProtocol::Implicit);
  target.key_type = ProbeKeyType::Ecdsa;
  const auto result = prober.probe(target);
  ASSERT_FALSE(result);
  const std::string prefix = target.describe() + ": TLS handshake failed: ";
  EXPECT_EQ(result.error().message.rfind(prefix, 0), 0U) << result.error().message;
  EXPECT_NE(result.error().message.find("ECDSA"), std::string::npos) << result.error().message;
}

TEST(ImplicitTlsProbe, NothingListeningIsAConnectError) {
  const std::uint16_t port = findFreePort({"127.0.0.1"});
  OpenSslTlsProbe prober;
  const auto target = probeTarget(port, StartTlsProtocol::Implicit);
  const auto result = prober.probe(target);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "mail.example.test[127.0.0.1]:" + std::to_string(port) +
                                        ": connect: connection refused");
  EXPECT_EQ(result.error().kind, ErrorKind::Transient);
}

TEST(ImplicitTlsProbe, AServerThatOnlySpeaksTls11SendsAnAlertTheErrorNames) {
  OpensslServer server("rsa2048", "", {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"});
  OpenSslTlsProbe prober;
  const auto target = probeTarget(server.port(), StartTlsProtocol::Implicit);
  const auto result = prober.probe(target);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message,
            target.describe() + ": TLS handshake failed: alert protocol version")
      << server.output();
}

TEST(ImplicitTlsProbe, WorksOverIpv6) {
  OpensslServer server("ed25519", "", {}, "::1");
  OpenSslTlsProbe prober;
  auto target = probeTarget(server.port(), StartTlsProtocol::Implicit, {daneEe("ed25519")}, "::1");
  target.key_type = ProbeKeyType::Ed25519;
  const auto result = prober.probe(target);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->presented.leaf().public_key.algorithm, KeyAlgorithm::Ed25519);
  EXPECT_TRUE(result->dane.authenticated) << result->dane.reason;
  EXPECT_EQ(result->target.describe(), "mail.example.test[::1]:" + std::to_string(server.port()));
}

}  // namespace
}  // namespace daneguard::testing
