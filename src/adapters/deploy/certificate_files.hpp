// The PEM files a deploy writes for a service's certificates (install mode, docs/deploy.md):
// for the primary certificate cert.pem (leaf), chain.pem (issuers, empty when there are none),
// fullchain.pem (leaf then issuers), privkey.pem (PKCS#8) and combo.pem (key then fullchain,
// for servers that load both from one file and so can never pair a new certificate with an
// old key). Every certificate, the primary included, also gets the same five files named by
// its key type, e.g. fullchain-ecdsa.pem, privkey-rsa.pem, so that dual RSA + ECDSA servers
// can name each one explicitly. Two certificates of one key type are refused.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/certificate.hpp"
#include "core/error.hpp"
#include "core/loaded_certificate.hpp"
#include "core/secret.hpp"

namespace daneguard::adapters::deploy {

struct CertificateFile {
  std::string name;     // a plain file name, e.g. "fullchain.pem"
  bool holds_key;       // privkey*.pem and combo*.pem: written with the key mode
  SecretBytes content;  // SecretBytes for every file: the type cannot end up in a message
};

/// PEM encoding of one certificate ("-----BEGIN CERTIFICATE-----" ...).
Result<std::string> certificatePem(const CertificateFacts& certificate);

/// The files for `certificates` (primary first). Fails when one has no private key, when the
/// list is empty, or when two certificates share a key type. `service` is for messages.
Result<std::vector<CertificateFile>> renderCertificateFiles(
    std::span<const LoadedCertificate> certificates, std::string_view service);

}  // namespace daneguard::adapters::deploy
