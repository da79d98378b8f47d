#include "core/tls/starttls_protocol.hpp"

#include <array>
#include <utility>

namespace daneguard {
namespace {

constexpr std::array<std::pair<StartTlsProtocol, std::string_view>, 12> kNames{{
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
}};

// IANA service-name registrations: the port each protocol's STARTTLS (or TLS-first) variant uses.
constexpr std::array<std::pair<std::uint16_t, StartTlsProtocol>, 25> kPortDefaults{{
    {25, StartTlsProtocol::Smtp},          // smtp (MX)
    {587, StartTlsProtocol::Smtp},         // submission
    {24, StartTlsProtocol::Lmtp},          // lmtp
    {143, StartTlsProtocol::Imap},         // imap
    {110, StartTlsProtocol::Pop3},         // pop3
    {21, StartTlsProtocol::Ftp},           // ftp
    {5222, StartTlsProtocol::XmppClient},  // xmpp-client
    {5269, StartTlsProtocol::XmppServer},  // xmpp-server
    {4190, StartTlsProtocol::Sieve},       // sieve (ManageSieve)
    {389, StartTlsProtocol::Ldap},         // ldap
    {5432, StartTlsProtocol::Postgres},    // postgresql
    {119, StartTlsProtocol::Nntp},         // nntp
    {465, StartTlsProtocol::Implicit},     // submissions
    {993, StartTlsProtocol::Implicit},     // imaps
    {995, StartTlsProtocol::Implicit},     // pop3s
    {990, StartTlsProtocol::Implicit},     // ftps
    {636, StartTlsProtocol::Implicit},     // ldaps
    {443, StartTlsProtocol::Implicit},     // https
    {853, StartTlsProtocol::Implicit},     // domain-s (DNS over TLS)
    {5061, StartTlsProtocol::Implicit},    // sips
    {563, StartTlsProtocol::Implicit},     // nntps
    {5223, StartTlsProtocol::Implicit},    // xmpp-client over TLS (XEP-0368)
    {5270, StartTlsProtocol::Implicit},    // xmpp-server over TLS (XEP-0368)
    {8443, StartTlsProtocol::Implicit},    // https-alt
    {6697, StartTlsProtocol::Implicit},    // ircs-u
}};

}  // namespace

std::string_view startTlsProtocolName(StartTlsProtocol protocol) {
  for (const auto& [value, name] : kNames)
    if (value == protocol) return name;
  return "unknown";
}

std::optional<StartTlsProtocol> parseStartTlsProtocol(std::string_view name) {
  for (const auto& [value, known] : kNames)
    if (known == name) return value;
  return std::nullopt;
}

std::optional<StartTlsProtocol> defaultStartTlsProtocolForPort(std::uint16_t port) {
  for (const auto& [known, protocol] : kPortDefaults)
    if (known == port) return protocol;
  return std::nullopt;
}

}  // namespace daneguard
