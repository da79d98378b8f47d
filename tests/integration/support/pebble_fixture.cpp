// Pebble on loopback (see the header).
#include "integration/support/pebble_fixture.hpp"

#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "integration/support/bind_fixture.hpp"
#include "integration/support/e2e_process.hpp"
#include "support/run_command.hpp"

namespace daneguard::testing {
namespace {

namespace fs = std::filesystem;

void mustRun(const std::vector<std::string>& argv) {
  const CommandResult result = runCommand(argv);
  if (result.exit_code != 0)
    throw std::runtime_error("pebble set-up: " + argv.front() + " " + argv.at(1) +
                             " failed: " + result.err);
}

void writeText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

std::optional<std::string> PebbleFixture::unavailableReason() {
  for (const char* tool : {"pebble", "curl", "openssl"})
    if (!programExists(tool))
      return std::string(tool) + " is not installed (pebble, curl, openssl)";
  return std::nullopt;
}

PebbleFixture::PebbleFixture(fs::path directory, std::string dns_server)
    : directory_(std::move(directory)) {
  fs::create_directories(directory_);
  // The listener's CA and certificate (127.0.0.1 and localhost), made with the openssl CLI.
  tls_ca_ = directory_ / "tls-ca.pem";
  const fs::path ca_key = directory_ / "tls-ca.key";
  const fs::path key = directory_ / "listener.key";
  const fs::path csr = directory_ / "listener.csr";
  const fs::path cert = directory_ / "listener.pem";
  const fs::path ext = directory_ / "listener.cnf";
  mustRun({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
           ca_key.string()});
  mustRun({"openssl", "req", "-x509", "-new", "-key", ca_key.string(), "-subj",
           "/CN=daneguard pebble listener CA", "-days", "2", "-addext",
           "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign", "-out",
           tls_ca_.string()});
  mustRun({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
           key.string()});
  mustRun({"openssl", "req", "-new", "-key", key.string(), "-subj", "/CN=localhost", "-out",
           csr.string()});
  writeText(ext,
            "[leaf]\nbasicConstraints = critical, CA:FALSE\nextendedKeyUsage = serverAuth\n"
            "subjectAltName = DNS:localhost, IP:127.0.0.1\n");
  mustRun({"openssl", "x509", "-req", "-in", csr.string(), "-CA", tls_ca_.string(), "-CAkey",
           ca_key.string(), "-set_serial", "1", "-days", "2", "-extfile", ext.string(),
           "-extensions", "leaf", "-out", cert.string()});

  acme_port_ = findFreePort({"127.0.0.1"});
  do {
    management_port_ = findFreePort({"127.0.0.1"});
  } while (management_port_ == acme_port_);
  const fs::path config = directory_ / "pebble-config.json";
  writeText(config,
            "{\n  \"pebble\": {\n    \"listenAddress\": \"127.0.0.1:" + std::to_string(acme_port_) +
                "\",\n    \"managementListenAddress\": \"127.0.0.1:" +
                std::to_string(management_port_) + "\",\n    \"certificate\": \"" + cert.string() +
                "\",\n    \"privateKey\": \"" + key.string() +
                "\",\n    \"httpPort\": 5002,\n    \"tlsPort\": 5001,\n"
                "    \"ocspResponderURL\": \"\",\n"
                "    \"externalAccountBindingRequired\": false\n  }\n}\n");
  process_ = std::make_unique<BackgroundProcess>(std::vector<std::string>{
      "env", "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0", "pebble",
      "-config", config.string(), "-dnsserver", dns_server});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    const CommandResult probe = runCommand(
        {"curl", "-sf", "--max-time", "2", "--cacert", tls_ca_.string(), directoryUrl()});
    if (probe.exit_code == 0) break;
    if (process_->waitFor(std::chrono::milliseconds(0)) ||
        std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("pebble did not come up: " + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

PebbleFixture::~PebbleFixture() = default;

std::string PebbleFixture::directoryUrl() const {
  return "https://127.0.0.1:" + std::to_string(acme_port_) + "/dir";
}

std::string PebbleFixture::curl(const std::string& url) const {
  const CommandResult result =
      runCommand({"curl", "-sf", "--max-time", "5", "--cacert", tls_ca_.string(), url});
  if (result.exit_code != 0)
    throw std::runtime_error("curl " + url + " failed (" + std::to_string(result.exit_code) +
                             "): " + result.err);
  return result.out;
}

fs::path PebbleFixture::issuerRootPath() {
  if (issuer_root_.empty()) {
    const fs::path path = directory_ / "issuer-root.pem";
    writeText(path, curl("https://127.0.0.1:" + std::to_string(management_port_) + "/roots/0"));
    issuer_root_ = path;
  }
  return issuer_root_;
}

std::string PebbleFixture::log() const {
  return process_ ? process_->outputSoFar() : std::string();
}

}  // namespace daneguard::testing
