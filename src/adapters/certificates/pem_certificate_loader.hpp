// CertificateLoader over the PEM loaders (adapters/openssl/pem_bundle.hpp) for every configured
// certificate source: one PEM bundle, separate files, or a certbot lineage
// (<config_dir>/live/<lineage>/fullchain.pem + privkey.pem, symlinks resolved first so that a
// renewal swapping the links between our two reads cannot pair a new key with an old chain
// unnoticed: the loader checks that the key matches the leaf).
// A full certbot integration (renewal/<lineage>.conf, archive history) is a later issue.
#pragma once

#include "ports/certificate_loader.hpp"

namespace daneguard::adapters::certificates {

class PemCertificateLoader final : public ports::CertificateLoader {
 public:
  Result<LoadedCertificate> load(const config::CertificateSource& source,
                                 PrivateKeyUse key) override;
};

}  // namespace daneguard::adapters::certificates
