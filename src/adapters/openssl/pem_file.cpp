#include "adapters/openssl/pem_file.hpp"

#include "adapters/files/bounded_file.hpp"

namespace daneguard::adapters::openssl {

Result<SecretBytes> readPemFile(const std::filesystem::path& path) {
  return files::readBoundedFile(path, {.max_bytes = kMaxPemFileBytes,
                                       .what = "a certificate or key file",
                                       .content_error_kind = ErrorKind::InvalidInput});
}

}  // namespace daneguard::adapters::openssl
