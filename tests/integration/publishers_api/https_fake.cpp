// Provider fakes over HTTPS (see the header).
#include "integration/publishers_api/https_fake.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <stdexcept>
#include <thread>

#include "support/run_command.hpp"

namespace daneguard::testing {
namespace {

namespace fs = std::filesystem;

void mustRun(const std::vector<std::string>& argv) {
  const CommandResult result = runCommand(argv);
  if (result.exit_code != 0)
    throw std::runtime_error(argv[0] + " " + argv[1] + " failed: " + result.err);
}

}  // namespace

std::optional<std::string> HttpsFake::unavailableReason() {
  for (const char* program : {"python3", "openssl", "curl"})
    if (!programExists(program)) return std::string(program) + " is not installed";
  return std::nullopt;
}

HttpsFake::HttpsFake(const std::string& script, const std::vector<std::string>& arguments) {
  const fs::path pki = dir_.path() / "pki";
  fs::create_directories(pki);
  const std::string ca_key = (pki / "ca.key").string();
  ca_file_ = pki / "ca.pem";
  mustRun({"openssl",
           "req",
           "-x509",
           "-newkey",
           "ec",
           "-pkeyopt",
           "ec_paramgen_curve:P-256",
           "-nodes",
           "-keyout",
           ca_key,
           "-subj",
           "/CN=daneguard provider fake CA",
           "-days",
           "2",
           "-addext",
           "basicConstraints=critical,CA:TRUE",
           "-addext",
           "keyUsage=critical,keyCertSign,cRLSign",
           "-out",
           ca_file_.string()});
  const std::string key = (pki / "server.key").string();
  const std::string csr = (pki / "server.csr").string();
  const std::string cert = (pki / "server.pem").string();
  mustRun({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", key, "-subj", "/CN=127.0.0.1", "-out", csr});
  {
    std::ofstream extensions(pki / "ext.cnf");
    extensions << "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n"
                  "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  }
  mustRun({"openssl", "x509", "-req", "-in", csr, "-CA", ca_file_.string(), "-CAkey", ca_key,
           "-set_serial", "2", "-days", "2", "-extfile", (pki / "ext.cnf").string(), "-out", cert});

  const fs::path port_file = dir_.path() / "port";
  std::vector<std::string> argv = {
      "python3",
      std::string(DANEGUARD_SOURCE_DIR) + "/tests/integration/publishers_api/" + script,
      "--cert",
      cert,
      "--key",
      key,
      "--port-file",
      port_file.string()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  pid_ = spawnWithFiles(argv, "/dev/null", dir_.path() / "fake.out", dir_.path() / "fake.err");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (port_ == 0) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error(script + " exited:\n" + log());
    }
    if (fs::exists(port_file)) {
      port_ = static_cast<std::uint16_t>(std::stoi(readTextFile(port_file)));
      break;
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error(script + " did not start:\n" + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

HttpsFake::~HttpsFake() {
  if (pid_ < 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

std::string HttpsFake::baseUrl() const {
  return "https://127.0.0.1:" + std::to_string(port_);
}

fs::path HttpsFake::tokenFile(const std::string& token) const {
  const fs::path path = dir_.write("tokens/" + token.substr(0, 8), token + "\n");
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  return path;
}

std::pair<int, std::string> HttpsFake::control(const std::string& method, const std::string& path,
                                               const std::string& body) const {
  std::vector<std::string> argv = {"curl",       "-sS",
                                   "--max-time", "5",
                                   "--cacert",   ca_file_.string(),
                                   "-X",         method,
                                   "-H",         "Content-Type: application/json",
                                   "-w",         "\n%{http_code}"};
  if (!body.empty()) argv.insert(argv.end(), {"--data-binary", "@-"});
  argv.push_back(baseUrl() + path);
  const CommandResult result = runCommand(argv, body);
  const auto newline = result.out.rfind('\n');
  if (result.exit_code != 0 || newline == std::string::npos) return {0, result.err};
  return {std::atoi(result.out.c_str() + newline + 1), result.out.substr(0, newline)};
}

std::string HttpsFake::log() const {
  return readTextFile(dir_.path() / "fake.out") + readTextFile(dir_.path() / "fake.err");
}

}  // namespace daneguard::testing
