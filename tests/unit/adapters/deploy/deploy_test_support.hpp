// Helpers for deploy tests: test certificates loaded as the app loads them, and independent
// views of installed files through the openssl CLI (public key, fingerprint), so that "the key
// matches the certificate" is decided by another implementation than daneguard's.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "adapters/openssl/pem_bundle.hpp"
#include "support/run_command.hpp"
#include "support/test_pki.hpp"

namespace daneguard::testing {

inline LoadedCertificate loadTestCertificate(const std::string& key_type) {
  const auto pki = testPkiDir(key_type);
  adapters::openssl::CertificateFiles files;
  files.certificate = pki / "leaf.pem";
  files.chain = pki / "chain.pem";
  files.private_key = pki / "leaf.key";
  auto loaded = adapters::openssl::loadCertificateFiles(files);
  if (!loaded) throw std::runtime_error(loaded.error().message);
  return std::move(*loaded);
}

/// The SPKI in PEM as `openssl x509 -pubkey` prints it for the first certificate in `file`;
/// empty when openssl fails.
inline std::string certificatePublicKey(const std::filesystem::path& file) {
  const auto result = runCommand({"openssl", "x509", "-in", file.string(), "-pubkey", "-noout"});
  return result.exit_code == 0 ? result.out : std::string();
}

/// The public key of the private key in `file` (`openssl pkey -pubout`); empty on failure.
inline std::string privateKeyPublicKey(const std::filesystem::path& file) {
  const auto result = runCommand({"openssl", "pkey", "-in", file.string(), "-pubout"});
  return result.exit_code == 0 ? result.out : std::string();
}

/// SHA-256 fingerprint line of the first certificate in `file`; empty on failure.
inline std::string fingerprint(const std::filesystem::path& file) {
  const auto result =
      runCommand({"openssl", "x509", "-in", file.string(), "-noout", "-fingerprint", "-sha256"});
  return result.exit_code == 0 ? result.out : std::string();
}

inline struct stat statOf(const std::filesystem::path& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) throw std::runtime_error("cannot stat " + path.string());
  return status;
}

}  // namespace daneguard::testing
