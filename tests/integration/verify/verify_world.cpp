#include "integration/verify/verify_world.hpp"

#include <stdexcept>

#include "support/run_command.hpp"

namespace daneguard::testing {

std::string opensslSpkiSha256Record(const std::filesystem::path& certificate_pem) {
  const CommandResult key =
      runCommand({"openssl", "x509", "-in", certificate_pem.string(), "-noout", "-pubkey"});
  const CommandResult der = runCommand({"openssl", "pkey", "-pubin", "-outform", "DER"}, key.out);
  const CommandResult digest = runCommand({"openssl", "dgst", "-sha256", "-r"}, der.out);
  if (key.exit_code != 0 || der.exit_code != 0 || digest.exit_code != 0 || digest.out.size() < 64)
    throw std::runtime_error("openssl could not hash the key of " + certificate_pem.string());
  return "3 1 1 " + digest.out.substr(0, 64);
}

std::unique_ptr<adapters::sandbox::DnsSandbox> startZone(const std::string& zone,
                                                         const std::string& records) {
  auto options = adapters::sandbox::DnsSandboxOptions::loopback(false);
  options.zone = zone;
  options.extra_records = records;
  auto sandbox = adapters::sandbox::DnsSandbox::start(std::move(options));
  if (!sandbox) throw std::runtime_error(sandbox.error().message);
  return std::move(*sandbox);
}

std::filesystem::path writeWrongDsAnchor(const adapters::sandbox::DnsSandbox& sandbox,
                                         const TempDir& directory) {
  std::string text = readTextFile(sandbox.trustAnchorDsPath());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  if (text.empty()) throw std::runtime_error("empty DS anchor file");
  text.back() = text.back() == '0' ? '1' : '0';
  return directory.write("wrong-ds.key", text + "\n");
}

}  // namespace daneguard::testing
