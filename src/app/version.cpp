#include "app/version.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

namespace daneguard::app {

std::string versionText() {
  return fmt::format("daneguard {} ({})", DANEGUARD_VERSION, OpenSSL_version(OPENSSL_VERSION));
}

}  // namespace daneguard::app
