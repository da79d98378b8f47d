// The application protocols that upgrade a plain connection to TLS (STARTTLS and friends), and
// the protocol a well-known port implies. Shared by the configuration ([services.x.probe]), the
// `verify` command and the TLS prober, so one name table serves them all.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace daneguard {

/// The application protocol spoken before the TLS handshake. Implicit = TLS from the first byte.
enum class StartTlsProtocol {
  Implicit,
  Smtp,
  Lmtp,
  Imap,
  Pop3,
  Ftp,
  XmppClient,
  XmppServer,
  Sieve,
  Ldap,
  Postgres,
  Nntp,
};

/// "smtp", "imap", ..., "implicit": names used by --starttls and the configuration.
std::string_view startTlsProtocolName(StartTlsProtocol protocol);
std::optional<StartTlsProtocol> parseStartTlsProtocol(std::string_view name);
/// The protocol a port implies when none is given (25/587 smtp, 465/993/995/636/443 implicit,
/// ...); nullopt for ports with no convention.
std::optional<StartTlsProtocol> defaultStartTlsProtocolForPort(std::uint16_t port);

}  // namespace daneguard
