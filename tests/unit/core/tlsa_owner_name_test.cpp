#include "core/tlsa/tlsa_owner_name.hpp"

#include <gtest/gtest.h>

#include <string>

namespace daneguard {
namespace {

TEST(TlsaOwnerName, BuildsUnderscoredPortAndProtocolLabels) {
  EXPECT_EQ(tlsaOwnerName(25, "tcp", "mail.example.com").value().toString(),
            "_25._tcp.mail.example.com.");
  EXPECT_EQ(tlsaOwnerName(443, "TCP", "WWW.Example.COM.").value().toString(),
            "_443._tcp.www.example.com.");
  EXPECT_EQ(tlsaOwnerName(853, "udp", "dns.example").value().toString(), "_853._udp.dns.example.");
  EXPECT_EQ(
      tlsaOwnerName(5061, "sctp", DomainName::parse("sip.example").value()).value().toString(),
      "_5061._sctp.sip.example.");
  EXPECT_EQ(tlsaOwnerName(65535, "tcp", "a.example").value().labels().front(), "_65535");
}

TEST(TlsaOwnerName, RejectsBadInputSayingWhy) {
  const struct {
    std::uint16_t port;
    std::string protocol;
    std::string host;
    std::string message;
  } cases[] = {
      {0, "tcp", "mail.example.com", "port 0"},
      {25, "quic", "mail.example.com", "protocol 'quic' is not one of tcp, udp, sctp"},
      {25, "", "mail.example.com", "is not one of"},
      {25, "tcp", "mail..example.com", "TLSA host name: in DNS name"},
      {25, "tcp", "*.example.com", "is a wildcard"},
      {25, "tcp", ".", "must not be the root"},
      {25, "tcp",
       std::string(63, 'a') + "." + std::string(63, 'a') + "." + std::string(63, 'a') + "." +
           std::string(60, 'a'),
       "would exceed 255 octets"},
  };
  for (const auto& c : cases) {
    const auto owner = tlsaOwnerName(c.port, c.protocol, c.host);
    ASSERT_FALSE(owner) << c.host;
    EXPECT_NE(owner.error().message.find(c.message), std::string::npos) << owner.error().message;
  }
}

}  // namespace
}  // namespace daneguard
