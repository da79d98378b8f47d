// Loading configured certificate sources with the PEM loaders (see the header).
#include "adapters/certificates/pem_certificate_loader.hpp"

#include <filesystem>
#include <system_error>
#include <type_traits>
#include <variant>

#include "adapters/openssl/pem_bundle.hpp"

namespace daneguard::adapters::certificates {
namespace {

namespace fs = std::filesystem;

Result<fs::path> resolveLink(const fs::path& path) {
  std::error_code error;
  fs::path resolved = fs::canonical(path, error);
  if (error) {
    const ErrorKind kind =
        error == std::errc::permission_denied ? ErrorKind::Permission : ErrorKind::NotFound;
    return fail(kind, path.string() + ": " + error.message());
  }
  return resolved;
}

using PrivateKeyUse = ports::CertificateLoader::PrivateKeyUse;

Result<LoadedCertificate> loadCertbot(const config::CertbotLineageSource& source,
                                      PrivateKeyUse key_use) {
  const fs::path live = fs::path(source.config_dir) / "live" / source.lineage;
  auto fullchain = resolveLink(live / "fullchain.pem");
  if (!fullchain)
    return fail(fullchain.error().withContext("certbot lineage '" + source.lineage + "'"));
  openssl::CertificateFiles files;
  files.certificate = *fullchain;
  if (key_use == PrivateKeyUse::LoadAndCheck) {
    auto key = resolveLink(live / "privkey.pem");
    if (!key) return fail(key.error().withContext("certbot lineage '" + source.lineage + "'"));
    files.private_key = *key;
  }
  return openssl::loadCertificateFiles(files);
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
