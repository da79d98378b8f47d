// Port: connecting to one TLS endpoint (one address, one port, optionally after a STARTTLS
// exchange) and reporting the chain it presents and whether a DANE client holding the given
// TLSA records would authenticate it (RFC 6698/7671/7672, as OpenSSL's own DANE code decides).
//
// One probe is one address: callers expand a host into its v4 and v6 addresses themselves, so
// that every address gets its own verdict line. A failure to connect, a refused STARTTLS or a
// TLS alert is an Error naming the endpoint and the step; a completed handshake whose chain
// does not match is a successful probe with `dane.authenticated == false` and the reason.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/certificate.hpp"
#include "core/error.hpp"
#include "core/tls/starttls_protocol.hpp"
#include "core/tlsa/tlsa_record.hpp"

namespace daneguard::ports {

using daneguard::StartTlsProtocol;

/// Which certificate to ask a dual-certificate server for, by restricting the signature
/// algorithms offered in the ClientHello. Any = let the server choose.
enum class ProbeKeyType { Any, Rsa, Ecdsa, Ed25519 };

struct ProbeTarget {
  std::string host;     // the endpoint's host name, for messages ("mail.example.test")
  std::string address;  // IP literal to connect to ("127.0.0.2", "::1")
  std::uint16_t port = 25;
  StartTlsProtocol protocol = StartTlsProtocol::Smtp;
  std::string sni;        // server name sent (the TLSA base domain); empty = none
  std::string ehlo_name;  // name daneguard announces in EHLO/LHLO/XMPP "from"
  ProbeKeyType key_type = ProbeKeyType::Any;
  std::vector<TlsaRecord> tlsa;  // records to authenticate against; empty = only fetch the chain
  std::chrono::milliseconds timeout{10000};  // whole probe: connect + STARTTLS + handshake
  std::string xmpp_domain;  // XMPP stream "to" (the service domain); empty = sni, else host

  /// "mail.example.test[127.0.0.2]:25": how every message names an endpoint.
  [[nodiscard]] std::string describe() const {
    return host + "[" + address + "]:" + std::to_string(port);
  }
};

/// What OpenSSL's DANE verification concluded (SSL_get0_dane_authority / _tlsa).
struct DaneVerdict {
  bool authenticated = false;
  std::optional<TlsaRecord> matched;  // the record that matched, when authenticated
  int depth = -1;                     // chain depth of the matching certificate (0 = leaf)
  std::string reason;                 // why not, in words, when !authenticated
};

struct ProbeResult {
  ProbeTarget target;
  std::string tls_version;     // "TLSv1.3"
  std::string cipher;          // "TLS_AES_256_GCM_SHA384"
  CertificateChain presented;  // as sent by the server, leaf first (not reordered)
  DaneVerdict dane;            // meaningful only when target.tlsa was not empty
};

class TlsProbe {
 public:
  virtual ~TlsProbe() = default;
  virtual Result<ProbeResult> probe(const ProbeTarget& target) = 0;
};

}  // namespace daneguard::ports
