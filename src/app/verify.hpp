// `daneguard verify`: authenticates live endpoints as a DANE client would. For each host (one
// given, or every MX host of a mail domain), every address and every key type, it probes the
// endpoint and lets OpenSSL's DANE code (behind ports::TlsProbe) decide against the validated
// TLSA RRset (or records given on the command line). The result is one greppable line per
// endpoint and key type plus an exit status for cron and monitoring (docs/verify.md).
//
// DNS rules applied (RFC 7672 §2.2, RFC 6698 §4.1): only a DNSSEC-secure TLSA RRset counts;
// an insecure one means "no DANE", a bogus one means a DANE client would not connect; a host
// whose address records are not secure gets no TLSA lookup by DANE clients.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/tls/starttls_protocol.hpp"
#include "core/tlsa/tlsa_record.hpp"
#include "ports/dane_lookup.hpp"
#include "ports/tls_probe.hpp"

namespace daneguard::app {

/// Exit statuses of `verify` besides the sysexits of errors (docs/exit-codes.md).
inline constexpr int kVerifyAuthenticated = 0;
inline constexpr int kVerifyAuthenticationFailed = 1;
inline constexpr int kVerifyNoDane = 2;  // TLSA RRset insecure or absent: nothing to verify
inline constexpr int kVerifyBogus = 3;   // DNSSEC validation failed for TLSA/MX/addresses

struct VerifyRequest {
  /// `verify --mx DOMAIN`: every MX host of the domain (the domain itself without MX), port 25.
  std::optional<std::string> mx_domain;
  /// `verify HOST[:PORT]` (unused with mx_domain). An IP literal needs given_tlsa.
  std::string host;
  std::uint16_t port = 25;
  StartTlsProtocol protocol = StartTlsProtocol::Smtp;
  /// `--tlsa`: authenticate against these instead of looking TLSA up in DNS.
  std::vector<TlsaRecord> given_tlsa;
  /// Empty: probe RSA and ECDSA and report each distinct certificate; a key type the server
  /// has no certificate for is then skipped, not failed. Given: each must authenticate.
  std::vector<ports::ProbeKeyType> key_types;
  std::chrono::milliseconds timeout{10000};
  std::string ehlo_name = "localhost";
};

enum class VerifyStatus {
  Ok,      // authenticated
  Fail,    // could not connect, or nothing in the RRset matches
  Warn,    // authenticated, but something needs fixing (RFC 7671 §8, insecure MX)
  Skip,    // default key-type probing: the server has no certificate of this type
  NoDane,  // insecure or absent TLSA: DANE does not apply
  Bogus,   // DNSSEC validation failed
  Error,   // a DNS lookup failed (timeout, SERVFAIL)
};

/// "OK", "FAIL", "WARN", "SKIP", "NODANE", "BOGUS", "ERROR": the first word of every line.
std::string_view verifyStatusWord(VerifyStatus status);

struct VerifyLine {
  VerifyStatus status = VerifyStatus::Ok;
  std::string
      endpoint;  // "mail.example.test[127.0.0.1]:25", "mail.example.test:25", "example.test"
  std::string key_type;  // "rsa", "ecdsa", ...; empty for lines not about one handshake
  std::string detail;    // the rest of the line
  // Structured parts (for --json), when a handshake completed:
  std::string tls_version;
  std::optional<TlsaRecord> matched;
  int depth = -1;
};

struct VerifyReport {
  std::vector<VerifyLine> lines;
  int exit_code = kVerifyAuthenticated;
};

/// `OK     mail.example.test[127.0.0.1]:25 ecdsa TLSv1.3 3 1 1 matched leaf (depth 0)`,
/// `FAIL   mail.example.test[::1]:25 rsa: no TLSA record matches the chain (...)`.
std::string formatVerifyLine(const VerifyLine& line);

/// "rsa" / "ecdsa" / "ed25519" / "any".
std::string_view probeKeyTypeName(ports::ProbeKeyType key_type);
/// "any" or a comma-separated list of rsa, ecdsa, ed25519 (Usage error otherwise).
Result<std::vector<ports::ProbeKeyType>> parseProbeKeyTypes(std::string_view text);

/// Runs the whole verification. Errors (Result) only for problems that stop everything before
/// any endpoint is known: the MX lookup of --mx failed, or the request is unusable. Per-endpoint
/// DNS failures become ERROR lines so that the other endpoints are still checked.
Result<VerifyReport> runVerify(const VerifyRequest& request, ports::DaneLookup& lookup,
                               ports::TlsProbe& probe);

}  // namespace daneguard::app
