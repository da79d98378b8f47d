// The plaintext exchange that asks a server to start TLS, one function for every protocol in
// StartTlsProtocol (what `openssl s_client -starttls` and posttls-finger do, with the replies
// checked): SMTP/LMTP EHLO/LHLO + STARTTLS, IMAP STARTTLS, POP3 STLS, FTP AUTH TLS, XMPP
// <starttls/>, ManageSieve STARTTLS, LDAP StartTLS extended operation, PostgreSQL SSLRequest,
// NNTP STARTTLS. On success the server waits for a ClientHello.
//
// Errors carry no endpoint prefix (the prober adds it): "STARTTLS not offered in the EHLO
// reply", "STARTTLS refused: 454 4.7.0 TLS not available", "the server closed the connection
// during STARTTLS", "timed out after 10 s during STARTTLS".
#pragma once

#include <string>

#include "adapters/tls/probe_connection.hpp"
#include "core/error.hpp"
#include "core/tls/starttls_protocol.hpp"

namespace daneguard::adapters::tls {

struct StartTlsIdentity {
  std::string client_name;  // EHLO/LHLO argument, XMPP "from" of a server-to-server stream
  std::string xmpp_domain;  // XMPP stream "to": the service domain
};

/// Runs the dialogue for `protocol` (nothing for Implicit) on `connection`.
Result<void> negotiateStartTls(ProbeConnection& connection, StartTlsProtocol protocol,
                               const StartTlsIdentity& identity);

/// The LDAP ExtendedRequest for StartTLS (RFC 4511 §4.14.1), message ID 1, DER-encoded.
std::string ldapStartTlsRequest();

}  // namespace daneguard::adapters::tls
