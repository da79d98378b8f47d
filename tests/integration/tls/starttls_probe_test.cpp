// OpenSslTlsProbe's STARTTLS dialogues against in-test servers that speak each protocol the way
// its RFC says (and check what the prober sends), then accept TLS with a test PKI chain; and the
// per-endpoint errors: not offered, refused, a server that never answers, injected plaintext.
#include <gtest/gtest.h>

#include <chrono>

#include "adapters/tls/openssl_tls_probe.hpp"
#include "adapters/tls/starttls_dialogue.hpp"
#include "integration/tls/tls_probe_test_support.hpp"
#include "integration/tls/tls_test_servers.hpp"
#include "support/test_pki.hpp"

namespace daneguard::testing {
namespace {

using adapters::tls::OpenSslTlsProbe;

struct DialogueCase {
  StartTlsProtocol protocol;
  Dialogue dialogue;  // returns true only when the prober sent exactly what the RFC asks
};

bool smtpLike(PlainPeer& peer, const std::string& hello) {
  peer.send("220-mail.example.test ESMTP a greeting\r\n220 over two lines\r\n");
  if (peer.readLine() != hello + " probe.example.test") return false;
  peer.send(
      "250-mail.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-starttls\r\n"
      "250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n");
  if (peer.readLine() != "STARTTLS") return false;
  peer.send("220 2.0.0 Ready to start TLS\r\n");
  return true;
}

bool xmppLike(PlainPeer& peer, const std::string& stream_namespace) {
  const std::string header = peer.readUntil("version='1.0'>");
  if (header.find("xmlns='" + stream_namespace + "'") == std::string::npos ||
      header.find("to='example.test'") == std::string::npos)
    return false;
  if (stream_namespace == "jabber:server" &&
      header.find("from='probe.example.test'") == std::string::npos)
    return false;
  peer.send("<?xml version='1.0'?><stream:stream xmlns='" + stream_namespace +
            "' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.test' "
            "version='1.0'><stream:features><starttls "
            "xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><mechanisms "
            "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>"
            "</stream:features>");
  if (peer.readUntil("/>").find("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'") ==
      std::string::npos)
    return false;
  peer.send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  return true;
}

/// RFC 4511 StartTLS request, assembled here from the ASN.1 by hand (independently of the
/// prober's encoder): SEQUENCE { INTEGER 1, [APPLICATION 23] { [0] "1.3.6.1.4.1.1466.20037" } }.
std::string expectedLdapRequest() {
  const std::string oid = "1.3.6.1.4.1.1466.20037";
  return std::string("\x30\x1d\x02\x01\x01\x77\x18\x80\x16", 9) + oid;
}

/// ExtendedResponse { messageID 1, resultCode, matchedDN "", diagnosticMessage }.
std::string ldapResponse(std::uint8_t result_code, const std::string& diagnostic = "") {
  std::string inner = std::string("\x0a\x01", 2) + static_cast<char>(result_code) +
                      std::string("\x04\x00", 2) + "\x04" + static_cast<char>(diagnostic.size()) +
                      diagnostic;
  std::string body =
      std::string("\x02\x01\x01", 3) + "\x78" + static_cast<char>(inner.size()) + inner;
  return "\x30" + std::string(1, static_cast<char>(body.size())) + body;
}

std::vector<DialogueCase> everyProtocol() {
  return {
      {StartTlsProtocol::Smtp, [](PlainPeer& p) { return smtpLike(p, "EHLO"); }},
      {StartTlsProtocol::Lmtp, [](PlainPeer& p) { return smtpLike(p, "LHLO"); }},
      {StartTlsProtocol::Imap,
       [](PlainPeer& p) {
         p.send("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n");
         if (p.readLine() != "a STARTTLS") return false;
         p.send("* NOTE an untagged line first\r\na OK Begin TLS negotiation now\r\n");
         return true;
       }},
      {StartTlsProtocol::Pop3,
       [](PlainPeer& p) {
         p.send("+OK POP3 ready\r\n");
         if (p.readLine() != "STLS") return false;
         p.send("+OK Begin TLS negotiation\r\n");
         return true;
       }},
      {StartTlsProtocol::Ftp,
       [](PlainPeer& p) {
         p.send("220-Welcome\r\n  free text inside a multi-line reply\r\n220 FTP ready\r\n");
         if (p.readLine() != "AUTH TLS") return false;
         p.send("234 AUTH TLS successful\r\n");
         return true;
       }},
      {StartTlsProtocol::XmppClient, [](PlainPeer& p) { return xmppLike(p, "jabber:client"); }},
      {StartTlsProtocol::XmppServer, [](PlainPeer& p) { return xmppLike(p, "jabber:server"); }},
      {StartTlsProtocol::Sieve,
       [](PlainPeer& p) {
         p.send(
             "\"IMPLEMENTATION\" \"fake sieve\"\r\n\"SASL\" \"\"\r\n\"SIEVE\" \"fileinto\"\r\n"
             "\"STARTTLS\"\r\n\"VERSION\" \"1.0\"\r\nOK \"ready\"\r\n");
         if (p.readLine() != "STARTTLS") return false;
         p.send("OK \"Begin TLS negotiation now\"\r\n");
         return true;
       }},
      {StartTlsProtocol::Ldap,
       [](PlainPeer& p) {
         if (p.readBytes(expectedLdapRequest().size()) != expectedLdapRequest()) return false;
         p.send(ldapResponse(0));
         return true;
       }},
      {StartTlsProtocol::Postgres,
       [](PlainPeer& p) {
         if (p.readBytes(8) != std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8)) return false;
         p.send("S");
         return true;
       }},
      {StartTlsProtocol::Nntp,
       [](PlainPeer& p) {
         p.send("200 news.example.test ready\r\n");
         if (p.readLine() != "STARTTLS") return false;
         p.send("382 Continue with TLS negotiation\r\n");
         return true;
       }},
      {StartTlsProtocol::Implicit, [](PlainPeer&) { return true; }},
  };
}

TEST(StartTlsProbe, EveryProtocolReachesTheHandshakeAndAuthenticates) {
  const auto leaf = testPkiDir("ecdsa-p256") / "leaf.pem";
  const TlsaRecord record =
      cliTlsaRecord(TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha256, leaf);
  OpenSslTlsProbe prober;
  std::size_t covered = 0;
  for (const auto& [protocol, dialogue] : everyProtocol()) {
    SCOPED_TRACE(std::string(startTlsProtocolName(protocol)));
    ScriptedTlsServer server({.key_type = "ecdsa-p256", .dialogue = dialogue});
    const auto result = prober.probe(probeTarget(server.port(), protocol, {record}));
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_TRUE(server.tlsCompleted());
    EXPECT_EQ(server.serverName(), kServiceName);
    EXPECT_EQ(result->presented.leaf().der, cliDer({leaf})[0]);
    EXPECT_TRUE(result->dane.authenticated) << result->dane.reason;
    ++covered;
  }
  EXPECT_EQ(covered, 12U);  // every StartTlsProtocol value
}

TEST(StartTlsProbe, LdapRequestIsTheRfc4511Encoding) {
  EXPECT_EQ(adapters::tls::ldapStartTlsRequest(), expectedLdapRequest());
}

struct FailureCase {
  std::string name;
  StartTlsProtocol protocol;
  Dialogue dialogue;
  std::string expected;  // message after "<endpoint>: "
  ErrorKind kind;
};

std::vector<FailureCase> failures() {
  return {
      {"smtp without STARTTLS", StartTlsProtocol::Smtp,
       [](PlainPeer& p) {
         p.send("220 mail.example.test ESMTP\r\n");
         p.readLine();
         p.send("250-mail.example.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
         p.waitForHangUp();
         return false;
       },
       "STARTTLS not offered in the EHLO reply", ErrorKind::Rejected},
      {"smtp 454", StartTlsProtocol::Smtp,
       [](PlainPeer& p) {
         p.send("220 mail.example.test ESMTP\r\n");
         p.readLine();
         p.send("250-mail.example.test\r\n250 STARTTLS\r\n");
         p.readLine();
         p.send("454 4.7.0 TLS not available due to local problem\r\n");
         p.waitForHangUp();
         return false;
       },
       "STARTTLS refused: 454 4.7.0 TLS not available due to local problem", ErrorKind::Rejected},
      {"smtp 554 greeting", StartTlsProtocol::Smtp,
       [](PlainPeer& p) {
         p.send("554 5.3.2 go away\r\n");
         p.waitForHangUp();
         return false;
       },
       "the server answered the greeting with 554 5.3.2 go away", ErrorKind::Rejected},
      {"imap NO", StartTlsProtocol::Imap,
       [](PlainPeer& p) {
         p.send("* OK ready\r\n");
         p.readLine();
         p.send("a NO STARTTLS disabled\r\n");
         p.waitForHangUp();
         return false;
       },
       "STARTTLS refused: a NO STARTTLS disabled", ErrorKind::Rejected},
      {"pop3 -ERR", StartTlsProtocol::Pop3,
       [](PlainPeer& p) {
         p.send("+OK ready\r\n");
         p.readLine();
         p.send("-ERR no TLS here\r\n");
         p.waitForHangUp();
         return false;
       },
       "STARTTLS refused: -ERR no TLS here", ErrorKind::Rejected},
      {"sieve without STARTTLS", StartTlsProtocol::Sieve,
       [](PlainPeer& p) {
         p.send("\"IMPLEMENTATION\" \"x\"\r\nOK \"ready\"\r\n");
         p.waitForHangUp();
         return false;
       },
       "STARTTLS not offered in the ManageSieve capabilities", ErrorKind::Rejected},
      {"xmpp without starttls feature", StartTlsProtocol::XmppClient,
       [](PlainPeer& p) {
         p.readUntil("version='1.0'>");
         p.send(
             "<stream:stream xmlns='jabber:client' version='1.0'><stream:features>"
             "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></stream:features>");
         p.waitForHangUp();
         return false;
       },
       "STARTTLS not offered in the XMPP stream features", ErrorKind::Rejected},
      {"ldap protocolError", StartTlsProtocol::Ldap,
       [](PlainPeer& p) {
         p.readBytes(31);
         p.send(ldapResponse(2, "unsupported extended operation"));
         p.waitForHangUp();
         return false;
       },
       "STARTTLS refused: LDAP result code 2 (unsupported extended operation)",
       ErrorKind::Rejected},
      {"postgres N", StartTlsProtocol::Postgres,
       [](PlainPeer& p) {
         p.readBytes(8);
         p.send("N");
         p.waitForHangUp();
         return false;
       },
       "STARTTLS refused: the server answered N (SSL not supported)", ErrorKind::Rejected},
      {"nntp 502", StartTlsProtocol::Nntp,
       [](PlainPeer& p) {
         p.send("200 ready\r\n");
         p.readLine();
         p.send("502 Command unavailable\r\n");
         p.waitForHangUp();
         return false;
       },
       "STARTTLS refused: 502 Command unavailable", ErrorKind::Rejected},
      {"ftp hang-up", StartTlsProtocol::Ftp,
       [](PlainPeer& p) {
         p.send("220 ready\r\n");
         p.readLine();
         return false;  // closes the connection without answering
       },
       "the server closed the connection during STARTTLS", ErrorKind::ProtocolViolation},
      {"smtp plaintext after 220", StartTlsProtocol::Smtp,
       [](PlainPeer& p) {
         p.send("220 mail.example.test ESMTP\r\n");
         p.readLine();
         p.send("250-mail.example.test\r\n250 STARTTLS\r\n");
         p.readLine();
         p.send("220 go ahead\r\n250 injected\r\n");
         p.waitForHangUp();
         return false;
       },
       "STARTTLS: the server sent 14 more bytes before the TLS handshake (a plaintext "
       "injection, or a broken server)",
       ErrorKind::ProtocolViolation},
  };
}

TEST(StartTlsProbe, EachFailureIsOneClearErrorNamingTheEndpoint) {
  OpenSslTlsProbe prober;
  for (const auto& failure : failures()) {
    SCOPED_TRACE(failure.name);
    ScriptedTlsServer server({.dialogue = failure.dialogue});
    const auto target = probeTarget(server.port(), failure.protocol);
    const auto result = prober.probe(target);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message, target.describe() + ": " + failure.expected);
    EXPECT_EQ(result.error().kind, failure.kind);
    EXPECT_FALSE(server.tlsCompleted());
  }
}

TEST(StartTlsProbe, AServerThatNeverAnswersTimesOutWithinTheTimeout) {
  ScriptedTlsServer server({.dialogue = [](PlainPeer& p) {
    p.waitForHangUp();
    return false;
  }});
  auto target = probeTarget(server.port(), StartTlsProtocol::Smtp);
  target.timeout = std::chrono::milliseconds(1000);
  OpenSslTlsProbe prober;
  const auto started = std::chrono::steady_clock::now();
  const auto result = prober.probe(target);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, target.describe() + ": timed out after 1 s during STARTTLS");
  EXPECT_EQ(result.error().kind, ErrorKind::Transient);
  EXPECT_GE(elapsed, std::chrono::milliseconds(950));
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST(StartTlsProbe, AServerThatStallsTheHandshakeTimesOutDuringIt) {
  ScriptedTlsServer server({.dialogue = [](PlainPeer& p) {
    p.waitForHangUp();  // implicit TLS: never answers the ClientHello
    return false;
  }});
  auto target = probeTarget(server.port(), StartTlsProtocol::Implicit);
  target.timeout = std::chrono::milliseconds(1500);
  OpenSslTlsProbe prober;
  const auto result = prober.probe(target);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message,
            target.describe() + ": timed out after 1500 ms during TLS handshake");
}

}  // namespace
}  // namespace daneguard::testing
