// CertificateLoader over the PEM loaders (adapters/openssl/pem_bundle.hpp) for every configured
// certificate source: one PEM bundle, separate files, or a certbot lineage (certbot_lineage.hpp:
// live/ links resolved to the archive version first, so that a renewal swapping the links
// between our two reads cannot pair a new key with an old chain unnoticed, and errors name
// that version).
#pragma once

#include "ports/certificate_loader.hpp"

namespace daneguard::adapters::certificates {

class PemCertificateLoader final : public ports::CertificateLoader {
 public:
  Result<LoadedCertificate> load(const config::CertificateSource& source,
                                 PrivateKeyUse key) override;
};

}  // namespace daneguard::adapters::certificates
