// Port: loading the certificate a service should serve from where the operator's ACME client
// writes it (config::CertificateSource: one PEM bundle, separate files, a certbot lineage).
//
// Guarantees of a successful load are those of adapters/openssl/pem_bundle.hpp: non-empty
// chain, leaf first, each certificate signed by the next, and with PrivateKeyUse::LoadAndCheck
// a private key matching the leaf. Observing needs only the certificates: decoding the key is
// most of the cost of a load, and a key that is not read cannot leak, so the app asks for it
// only for a candidate it may publish or deploy. Validity dates and host coverage are judged
// by the app, not here.
#pragma once

#include "core/config/config.hpp"
#include "core/error.hpp"
#include "core/loaded_certificate.hpp"

namespace daneguard::ports {

class CertificateLoader {
 public:
  virtual ~CertificateLoader() = default;
  enum class PrivateKeyUse { Skip, LoadAndCheck };

  virtual Result<LoadedCertificate> load(const config::CertificateSource& source,
                                         PrivateKeyUse key) = 0;
};

}  // namespace daneguard::ports
