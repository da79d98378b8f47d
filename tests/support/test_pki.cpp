#include "support/test_pki.hpp"

#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

namespace daneguard::testing {
namespace {

std::filesystem::path generatedPki() {
  // ctest sets this to a PKI its fixture made once for the whole run.
  if (const char* shared = std::getenv("DANEGUARD_TEST_PKI_DIR"); shared != nullptr) {
    return shared;
  }
  // Made on first use and removed at process exit; generating takes well under a second.
  static const std::unique_ptr<TempDir> pki = [] {
    auto dir = std::make_unique<TempDir>();
    const CommandResult result = runCommand(
        {"bash", std::string(DANEGUARD_SOURCE_DIR) + "/tools/gen-test-pki.sh", dir->path()});
    if (result.exit_code != 0) {
      throw std::runtime_error("tools/gen-test-pki.sh failed: " + result.err);
    }
    return dir;
  }();
  return pki->path();
}

}  // namespace

const std::vector<std::string>& testPkiKeyTypes() {
  static const std::vector<std::string> types{"rsa2048", "ecdsa-p256", "ecdsa-p384", "ed25519"};
  return types;
}

std::filesystem::path testPkiDir(const std::string& key_type) {
  return generatedPki() / key_type;
}

std::filesystem::path testDataPath(const std::string& relative) {
  return std::filesystem::path(DANEGUARD_SOURCE_DIR) / "tests" / "data" / relative;
}

}  // namespace daneguard::testing
