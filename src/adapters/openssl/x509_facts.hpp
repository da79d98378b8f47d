// Turns OpenSSL certificate and key objects into core value types (CertificateFacts,
// PublicKeyFacts), so that nothing beyond adapters/openssl needs an OpenSSL handle.
//
// Errors carry no location prefix: callers know which file, line or server the object came from
// and add it. Time fields are converted from ASN1_TIME as UTC, never through local time.
#pragma once

#include <string>

#include "adapters/openssl/handles.hpp"
#include "core/bytes.hpp"
#include "core/certificate.hpp"
#include "core/error.hpp"

namespace daneguard::adapters::openssl {

/// Parses one DER certificate (trailing bytes are an error) and extracts its facts.
/// Used for certificates that arrive as DER, e.g. from a TLS handshake.
Result<CertificateFacts> certificateFactsFromDer(ByteView der);

Result<CertificateFacts> certificateFacts(X509* certificate);

/// Facts of the public half of `key` (works for private keys too): algorithm, size, SPKI DER.
Result<PublicKeyFacts> publicKeyFacts(EVP_PKEY* key);

/// RFC 2253 one-line form of the subject name, e.g. "CN=mail.example.test,O=Example".
std::string subjectOf(const X509* certificate);

}  // namespace daneguard::adapters::openssl
