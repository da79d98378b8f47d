// The DNS side of the verify integration tests: signed test zones in BIND (DnsSandbox), a DS
// anchor that does not match (bogus), and TLSA data computed with the openssl CLI,
// independently of daneguard. The tests delegate unsigned.example.test from example.test
// without DS: provably unsigned to a validator, the production shape of "no DANE".
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "adapters/sandbox/dns_sandbox.hpp"
#include "support/temp_dir.hpp"

namespace daneguard::testing {

/// "3 1 1 <hex>" of a PEM certificate's SPKI, computed by `openssl x509 | pkey | dgst`.
std::string opensslSpkiSha256Record(const std::filesystem::path& certificate_pem);

/// A started DnsSandbox (loopback, primary only) serving `zone` with `records` added.
std::unique_ptr<adapters::sandbox::DnsSandbox> startZone(const std::string& zone,
                                                         const std::string& records);

/// A copy of the sandbox's DS anchor with the last digest digit changed (validation -> bogus).
std::filesystem::path writeWrongDsAnchor(const adapters::sandbox::DnsSandbox& sandbox,
                                         const TempDir& directory);

}  // namespace daneguard::testing
