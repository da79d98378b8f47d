// Loading configured certificate sources with the PEM loaders (see the header).
#include "adapters/certificates/pem_certificate_loader.hpp"

#include <filesystem>
#include <type_traits>
#include <variant>

#include "adapters/certificates/certbot_lineage.hpp"
#include "adapters/openssl/pem_bundle.hpp"

namespace daneguard::adapters::certificates {
namespace {

using PrivateKeyUse = ports::CertificateLoader::PrivateKeyUse;

Result<LoadedCertificate> loadCertbot(const config::CertbotLineageSource& source,
                                      PrivateKeyUse key_use) {
  auto resolved = resolveCertbotLineage(source);
  if (!resolved) return fail(std::move(resolved.error()));
  openssl::CertificateFiles files;
  files.certificate = resolved->fullchain;
  if (key_use == PrivateKeyUse::LoadAndCheck) files.private_key = resolved->private_key;
  auto loaded = openssl::loadCertificateFiles(files);
  if (!loaded) {
    // The loader names the absolute archive path; say which lineage and version that is.
    const std::string version =
        key_use == PrivateKeyUse::LoadAndCheck
            ? resolved->fullchain_label + " with " + resolved->private_key_label
            : resolved->fullchain_label;
    return fail(std::move(loaded.error())
                    .withContext("certbot lineage '" + source.lineage + "' (" + version + ")"));
  }
  return loaded;
}

}  // namespace

Result<LoadedCertificate> PemCertificateLoader::load(const config::CertificateSource& source,
                                                     PrivateKeyUse key_use) {
  const bool with_key = key_use == PrivateKeyUse::LoadAndCheck;
  return std::visit(
      [with_key, key_use](const auto& kind) -> Result<LoadedCertificate> {
        using Kind = std::decay_t<decltype(kind)>;
        if constexpr (std::is_same_v<Kind, config::PemBundleSource>) {
          if (with_key) return openssl::loadPemBundle(kind.path);
          // Key blocks in the bundle are skipped without being decoded.
          auto chain = openssl::loadCertificateChain(kind.path);
          if (!chain) return fail(std::move(chain.error()));
          PublicKeyFacts key = chain->leaf().public_key;
          return LoadedCertificate{std::move(*chain), std::nullopt, std::move(key)};
        } else if constexpr (std::is_same_v<Kind, config::SeparateFilesSource>) {
          openssl::CertificateFiles files;
          if (with_key) files.private_key = kind.key;
          if (kind.certificate) files.certificate = *kind.certificate;
          if (kind.chain) files.chain = *kind.chain;
          if (kind.fullchain) {
            if (!kind.certificate)
              files.certificate = *kind.fullchain;
            else
              files.fullchain = *kind.fullchain;
          }
          return openssl::loadCertificateFiles(files);
        } else {
          return loadCertbot(kind, key_use);
        }
      },
      source);
}

}  // namespace daneguard::adapters::certificates
