// Builds CertificateFacts from PEM files with the openssl CLI only (not daneguard's PEM loader),
// so that the TLSA tests compare daneguard against bytes an independent program produced.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/certificate.hpp"

namespace daneguard::testing {

/// `openssl x509 -in PEM -outform DER`. Throws std::runtime_error when openssl fails.
Bytes certificateDerViaOpenssl(const std::filesystem::path& pem);

/// `openssl x509 -in PEM -pubkey -noout | openssl pkey -pubin -outform DER`.
Bytes spkiDerViaOpenssl(const std::filesystem::path& pem);

/// `openssl dgst -sha256|-sha512 -binary`; `algorithm` is "sha256" or "sha512".
Bytes digestViaOpenssl(ByteView data, const std::string& algorithm);

/// One CertificateFacts per PEM file (der and public_key.spki_der filled), in the given order.
CertificateChain chainViaOpenssl(const std::vector<std::filesystem::path>& pems);

}  // namespace daneguard::testing
