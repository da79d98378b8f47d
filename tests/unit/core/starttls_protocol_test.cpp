// The protocol name table and the port defaults: the names are the documented spelling of
// --starttls and the configuration (docs/verification.md), the ports the IANA registrations.
#include "core/tls/starttls_protocol.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace daneguard {
namespace {

const std::vector<std::pair<StartTlsProtocol, std::string>> kDocumented{
    {StartTlsProtocol::Implicit, "implicit"},
    {StartTlsProtocol::Smtp, "smtp"},
    {StartTlsProtocol::Lmtp, "lmtp"},
    {StartTlsProtocol::Imap, "imap"},
    {StartTlsProtocol::Pop3, "pop3"},
    {StartTlsProtocol::Ftp, "ftp"},
    {StartTlsProtocol::XmppClient, "xmpp-client"},
    {StartTlsProtocol::XmppServer, "xmpp-server"},
    {StartTlsProtocol::Sieve, "sieve"},
    {StartTlsProtocol::Ldap, "ldap"},
    {StartTlsProtocol::Postgres, "postgres"},
    {StartTlsProtocol::Nntp, "nntp"},
};

TEST(StartTlsProtocol, EveryProtocolHasItsDocumentedNameAndParsesBack) {
  std::set<std::string> seen;
  for (const auto& [protocol, name] : kDocumented) {
    EXPECT_EQ(startTlsProtocolName(protocol), name);
    EXPECT_EQ(parseStartTlsProtocol(name), protocol) << name;
    seen.insert(std::string(startTlsProtocolName(protocol)));
  }
  EXPECT_EQ(seen.size(), kDocumented.size());
}

TEST(StartTlsProtocol, UnknownOrMisspelledNamesAreRejected) {
  for (const char* name : {"", "SMTP", "smtps", "xmpp", "ldaps", "smtp ", "http"})
    EXPECT_FALSE(parseStartTlsProtocol(name).has_value()) << '"' << name << '"';
}

TEST(StartTlsProtocol, WellKnownPortsImplyTheirProtocol) {
  const std::vector<std::pair<std::uint16_t, StartTlsProtocol>> expected{
      {25, StartTlsProtocol::Smtp},         {587, StartTlsProtocol::Smtp},
      {24, StartTlsProtocol::Lmtp},         {143, StartTlsProtocol::Imap},
      {110, StartTlsProtocol::Pop3},        {21, StartTlsProtocol::Ftp},
      {5222, StartTlsProtocol::XmppClient}, {5269, StartTlsProtocol::XmppServer},
      {4190, StartTlsProtocol::Sieve},      {389, StartTlsProtocol::Ldap},
      {5432, StartTlsProtocol::Postgres},   {119, StartTlsProtocol::Nntp},
      {465, StartTlsProtocol::Implicit},    {993, StartTlsProtocol::Implicit},
      {995, StartTlsProtocol::Implicit},    {636, StartTlsProtocol::Implicit},
      {443, StartTlsProtocol::Implicit},    {853, StartTlsProtocol::Implicit},
      {5061, StartTlsProtocol::Implicit},
  };
  for (const auto& [port, protocol] : expected)
    EXPECT_EQ(defaultStartTlsProtocolForPort(port), protocol) << port;
}

TEST(StartTlsProtocol, PortsWithoutConventionHaveNoDefault) {
  for (std::uint16_t port : {0, 1, 80, 10025, 8080, 65535})
    EXPECT_FALSE(defaultStartTlsProtocolForPort(port).has_value()) << port;
}

}  // namespace
}  // namespace daneguard
