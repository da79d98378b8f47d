// Shared by the prober tests: targets, TLSA records computed with the openssl CLI (never with
// daneguard's own TLSA code), and `openssl s_client` as the independent DANE client.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/tlsa/tlsa_record.hpp"
#include "ports/tls_probe.hpp"
#include "support/run_command.hpp"

namespace daneguard::testing {

inline constexpr const char* kServiceName = "mail.example.test";

ports::ProbeTarget probeTarget(std::uint16_t port, StartTlsProtocol protocol,
                               std::vector<TlsaRecord> tlsa = {},
                               const std::string& address = "127.0.0.1");

/// A TLSA record for a PEM certificate, computed with the openssl CLI: selector 1 = SPKI,
/// matching type 1 = SHA-256 (0 and 2 supported too).
TlsaRecord cliTlsaRecord(TlsaUsage usage, TlsaSelector selector, TlsaMatchingType matching_type,
                         const std::filesystem::path& pem);

/// "3 1 1 <hex>" presentation of a record, for s_client -dane_tlsa_rrdata.
std::string rrdata(const TlsaRecord& record);

/// DER of each PEM file, via `openssl x509 -outform DER`.
std::vector<Bytes> cliDer(const std::vector<std::filesystem::path>& pems);

/// What `openssl s_client` (the independent DANE client) concluded.
struct SClientVerdict {
  bool verified = false;  // "Verification: OK"
  int depth = -1;         // from "... matched ... at depth N"
  std::string transcript;
};
SClientVerdict sClientDane(const std::string& address, std::uint16_t port,
                           const std::string& starttls, const std::vector<TlsaRecord>& records,
                           const std::vector<std::string>& extra = {});

}  // namespace daneguard::testing
