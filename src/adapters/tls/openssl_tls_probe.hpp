// The TLS prober over OpenSSL 3: connects to one address, runs the STARTTLS dialogue, completes
// the handshake with SNI and OpenSSL's own DANE verification (SSL_dane_enable/SSL_dane_tlsa_add),
// and reports the chain as sent plus the verdict a DANE client reaches (docs/verification.md).
//
// A chain that matches no record still completes the handshake (verify mode NONE): the probe
// succeeds and the verdict says why DANE failed, so one run can report what is served. DANE-EE(3)
// records are matched without name checks (RFC 7671 §5.1, RFC 7672 §3.1.1); DANE-TA(2) checks
// the leaf's names against the base domain (target.sni, else target.host). PKIX-TA/EE (0/1)
// records also need a trust store: the system's default verify paths, or `ca_file`.
#pragma once

#include <filesystem>
#include <optional>

#include "ports/tls_probe.hpp"

namespace daneguard::adapters::tls {

struct OpenSslTlsProbeOptions {
  /// CA bundle for PKIX-TA(0)/PKIX-EE(1) records; nullopt = OpenSSL's default verify paths.
  std::optional<std::filesystem::path> ca_file;
};

class OpenSslTlsProbe final : public ports::TlsProbe {
 public:
  explicit OpenSslTlsProbe(OpenSslTlsProbeOptions options = {}) : options_(std::move(options)) {}

  /// Never throws; every failure is an Error "<host>[<address>]:<port>: <step>: <why>".
  Result<ports::ProbeResult> probe(const ports::ProbeTarget& target) override;

 private:
  OpenSslTlsProbeOptions options_;
};

/// The ClientHello signature algorithms that make a dual-certificate server choose the
/// certificate of `key_type` ("" for Any): also valid input to `openssl s_client -sigalgs`.
std::string signatureAlgorithmsFor(ports::ProbeKeyType key_type);

}  // namespace daneguard::adapters::tls
