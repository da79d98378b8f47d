#include "integration/support/e2e_world.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "adapters/sandbox/child_process.hpp"

namespace daneguard::testing {
namespace {

namespace fs = std::filesystem;
using adapters::sandbox::DnsSandbox;
using adapters::sandbox::DnsSandboxOptions;

std::string readWhole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.pop_back();
  return text;
}

std::string lowered(std::string text) {
  for (char& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

/// Runs `argv` and throws with its stderr when it fails: PKI set-up must not fail quietly.
std::string mustRun(const std::vector<std::string>& argv, const std::string& input = {}) {
  const CommandResult result = runCommand(argv, input);
  if (result.exit_code != 0)
    throw std::runtime_error(argv.front() + " " + (argv.size() > 1 ? argv[1] : "") + " failed (" +
                             std::to_string(result.exit_code) + "): " + result.err);
  return result.out;
}

void writeFile(const fs::path& path, const std::string& content) {
  // Written to a temporary name and renamed, as certbot does: daneguard never reads half a file.
  const fs::path temporary = path.string() + ".new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
  }
  fs::rename(temporary, path);
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string word; in >> word;)
    out.push_back(word);
  return out;
}

}  // namespace

double wallClockNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool pollUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(interval);
  }
  return condition();
}

E2ePki::E2ePki(fs::path directory) : directory_(std::move(directory)) {
  fs::create_directories(directory_);
  writeFile(directory_ / "ext.cnf",
            "[leaf]\nbasicConstraints = critical, CA:FALSE\n"
            "keyUsage = critical, digitalSignature, keyEncipherment\n"
            "extendedKeyUsage = serverAuth\nsubjectAltName = DNS:mail.example.test\n");
  const std::string key = (directory_ / "ca.key").string();
  mustRun({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
           key});
  mustRun({"openssl", "req", "-x509", "-new", "-key", key, "-subj", "/CN=daneguard e2e test CA",
           "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
           "keyUsage=critical,keyCertSign,cRLSign", "-out", (directory_ / "ca.pem").string()});
}

E2eCertificate E2ePki::issue(const std::string& name, const E2eCertificate* reuse_key_of,
                             const std::string& key_type) {
  const fs::path folder = directory_ / name;
  fs::create_directories(folder);
  const std::string key = (folder / "leaf.key").string();
  if (reuse_key_of != nullptr) {
    fs::copy_file(reuse_key_of->bundle.parent_path() / "leaf.key", key);
  } else if (key_type == "rsa") {
    mustRun({"openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
             key});
  } else {
    mustRun({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", key});
  }
  const std::string csr = (folder / "leaf.csr").string();
  mustRun({"openssl", "req", "-new", "-key", key, "-subj", "/CN=mail.example.test", "-out", csr});
  E2eCertificate certificate;
  certificate.leaf = folder / "leaf.pem";
  mustRun({"openssl", "x509", "-req", "-in", csr, "-CA", (directory_ / "ca.pem").string(), "-CAkey",
           (directory_ / "ca.key").string(), "-set_serial", std::to_string(++serial_), "-days",
           "30", "-extfile", (directory_ / "ext.cnf").string(), "-extensions", "leaf", "-out",
           certificate.leaf.string()});
  certificate.bundle = folder / "bundle.pem";
  writeFile(certificate.bundle,
            readWhole(key) + readWhole(certificate.leaf) + readWhole(directory_ / "ca.pem"));
  certificate.fingerprint = trimmed(mustRun(
      {"openssl", "x509", "-in", certificate.leaf.string(), "-noout", "-fingerprint", "-sha256"}));
  // TLSA 3 1 1 the way RFC 6698 §A.1.2 spells it: SHA-256 over the DER SubjectPublicKeyInfo.
  const fs::path spki_pem = folder / "spki.pem";
  const fs::path spki_der = folder / "spki.der";
  writeFile(spki_pem,
            mustRun({"openssl", "x509", "-in", certificate.leaf.string(), "-noout", "-pubkey"}));
  mustRun({"openssl", "pkey", "-pubin", "-in", spki_pem.string(), "-outform", "DER", "-out",
           spki_der.string()});
  certificate.spki_sha256 =
      lowered(words(mustRun({"openssl", "dgst", "-sha256", "-r", spki_der.string()})).at(0));
  return certificate;
}

std::string E2eCertificate::id() const {
  std::string hex;
  for (char c : fingerprint.substr(fingerprint.find('=') + 1))
    if (c != ':') hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return hex;
}

std::optional<std::string> E2eWorld::unavailableReason() {
  for (const char* tool : {"named", "dig", "nsupdate", "openssl", "sqlite3"})
    if (!adapters::sandbox::findProgram(tool))
      return std::string(tool) +
             " is not installed (bind9, bind9-dnsutils, bind9-utils, openssl, sqlite3)";
  return NetworkNamespace::unavailableReason();
}

E2eWorld::E2eWorld(E2eOptions options) : options_(std::move(options)) {
  DnsSandboxOptions sandbox_options = DnsSandboxOptions::productionLike(options_.secondaries);
  network_.emplace(NetworkNamespace::enterPrivate(sandbox_options.addresses()));
  sandbox_options.default_ttl = 60;
  sandbox_options.soa_ttl = options_.soa_ttl;
  sandbox_options.soa_minimum = options_.soa_minimum;
  sandbox_options.unprivileged_key_names = options_.unprivileged_key_names;
  sandbox_options.ready_timeout = std::chrono::seconds(20);
  auto started = DnsSandbox::start(std::move(sandbox_options));
  if (!started) throw std::runtime_error("sandbox: " + started.error().message);
  sandbox_ = std::move(*started);

  pki_ = std::make_unique<E2ePki>(dir_.path() / "pki");
  state_dir_ = dir_.path() / "state";
  bundle_path_ = dir_.path() / "service" / "mail.pem";
  fs::create_directories(bundle_path_.parent_path());
  hook_path_ = dir_.path() / "hook" / "deploy-mail";
  fs::create_directories(hook_path_.parent_path());
  const std::string hook_dir = hook_path_.parent_path().string();
  // The hook gets a clean environment, so everything it needs is written into it.
  writeFile(hook_path_,
            "#!/bin/sh\n"
            "# Deploy hook of the end-to-end tests: records what it was given, exits as told.\n"
            "started=$(date +%s.%N)\n"
            "cert_fp=$(openssl x509 -in \"$DANEGUARD_CERT_FILE\" -noout -fingerprint -sha256)\n"
            "danebot_fp=$(printf '%s\\n' \"$DANEBOT_CERT\" | openssl x509 -noout -fingerprint "
            "-sha256)\n"
            "cert_pub=$(openssl x509 -in \"$DANEGUARD_CERT_FILE\" -noout -pubkey)\n"
            "key_pub=$(openssl pkey -in \"$DANEGUARD_KEY_FILE\" -pubout)\n"
            "match=no\n"
            "if [ -n \"$cert_pub\" ] && [ \"$cert_pub\" = \"$key_pub\" ]; then match=yes; fi\n"
            "status=0\n"
            "if [ -f " +
                hook_dir + "/exit-status ]; then status=$(cat " + hook_dir +
                "/exit-status); fi\n"
                "echo \"$started|$cert_fp|$danebot_fp|$match|$status\" >> " +
                hook_dir +
                "/calls\n"
                "if [ \"$status\" != 0 ]; then echo \"e2e hook told to fail\" >&2; fi\n"
                "exit \"$status\"\n");
  fs::permissions(hook_path_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
  config_path_ = dir_.path() / "daneguard.toml";
  writeConfig();
}

E2eWorld::~E2eWorld() {
  sandbox_.reset();  // named first, while still inside the namespace it listens in
}

void E2eWorld::installCertificate(const E2eCertificate& certificate) {
  writeFile(bundle_path_, readWhole(certificate.bundle));
}

void E2eWorld::writeConfig(const std::optional<fs::path>& tsig_key_file) {
  const fs::path key = tsig_key_file.value_or(sandbox_->updateKey().path);
  const std::string text =
      "state_dir = \"" + state_dir_.string() +
      "\"\n"
      "[rollover]\npoll_interval = \"1s\"\nmargin = \"1s\"\npropagation_timeout = \"" +
      options_.propagation_timeout +
      "\"\n"
      "[publishers.primary]\ntype = \"rfc2136\"\nserver = \"" +
      sandbox_->updateServer().host + "\"\ntsig_key_file = \"" + key.string() +
      "\"\n"
      "[[services]]\nname = \"mail\"\nhosts = [\"mail.example.test\"]\nports = [25]\n"
      "ttl = " +
      std::to_string(options_.record_ttl) +
      "\npublisher = \"primary\"\n"
      "[services.certificate]\ntype = \"pem\"\npath = \"" +
      bundle_path_.string() +
      "\"\n"
      "[services.deploy]\ntype = \"hook\"\ncommand = [\"" +
      hook_path_.string() +
      "\"]\ntimeout = \"20s\"\n"
      "[services.probe]\nenabled = false\n";
  writeFile(config_path_, text);
}

std::vector<std::string> E2eWorld::daneguardArgv(const std::string& command,
                                                 const std::vector<std::string>& arguments,
                                                 int cache_factor) const {
  std::vector<std::string> argv = withoutDaneguardEnvironment();
  argv.insert(argv.end(), {DANEGUARD_BINARY, command, "-c", config_path_.string(), "--state-dir",
                           state_dir_.string(), "--poll-interval", "1", "--margin", "1",
                           "--cache-factor", std::to_string(cache_factor)});
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return argv;
}

CommandResult E2eWorld::daneguard(const std::string& command,
                                  const std::vector<std::string>& arguments, int cache_factor) {
  return runCommand(daneguardArgv(command, arguments, cache_factor));
}

void E2eWorld::setHookExitStatus(int status) {
  writeFile(hook_path_.parent_path() / "exit-status", std::to_string(status) + "\n");
}

std::vector<HookCall> E2eWorld::hookCalls() const {
  std::vector<HookCall> calls;
  std::istringstream lines(readWhole(hook_path_.parent_path() / "calls"));
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::istringstream parts(line);
    for (std::string field; std::getline(parts, field, '|');)
      fields.push_back(field);
    if (fields.size() != 5) throw std::runtime_error("malformed hook record: " + line);
    calls.push_back(HookCall{std::stod(fields[0]), fields[1], fields[2], fields[3] == "yes",
                             std::stoi(fields[4])});
  }
  return calls;
}

std::optional<std::multiset<std::string>> E2eWorld::servedTlsa(std::size_t index,
                                                               std::uint32_t* ttl) const {
  const auto& server = sandbox_->servers().at(index).endpoint;
  const CommandResult result =
      runCommand({"dig", "+norec", "+time=1", "+tries=2", "+noall", "+answer", "+nomultiline",
                  "@" + server.host, "-p", std::to_string(server.port), owner(), "TLSA"});
  if (result.exit_code != 0) return std::nullopt;
  std::multiset<std::string> records;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    const std::vector<std::string> fields = words(line);
    if (fields.size() < 8 || fields[3] != "TLSA") continue;
    std::string data;
    for (std::size_t i = 7; i < fields.size(); ++i)
      data += fields[i];
    records.insert(fields[4] + " " + fields[5] + " " + fields[6] + " " + lowered(data));
    if (ttl != nullptr) *ttl = static_cast<std::uint32_t>(std::stoul(fields[1]));
  }
  return records;
}

bool E2eWorld::everyServerServes(const std::multiset<std::string>& records) const {
  for (std::size_t index = 0; index < sandbox_->servers().size(); ++index) {
    const auto served = servedTlsa(index);
    if (!served || *served != records) return false;
  }
  return true;
}

std::optional<std::uint32_t> E2eWorld::serialAt(std::size_t index) const {
  const auto& server = sandbox_->servers().at(index).endpoint;
  const CommandResult result =
      runCommand({"dig", "+norec", "+time=1", "+tries=2", "+short", "@" + server.host, "-p",
                  std::to_string(server.port), sandbox_->zone(), "SOA"});
  const std::vector<std::string> fields = words(result.out);
  if (result.exit_code != 0 || fields.size() < 3) return std::nullopt;
  return static_cast<std::uint32_t>(std::stoul(fields[2]));
}

CommandResult E2eWorld::nsupdate(const std::string& update_lines) const {
  const auto& target = sandbox_->updateServer();
  return runCommand({"nsupdate", "-k", sandbox_->updateKey().path.string()},
                    "server " + target.host + " " + std::to_string(target.port) + "\nzone " +
                        sandbox_->zone() + "\n" + update_lines + "\nsend\n");
}

std::optional<long long> E2eWorld::recordedVisibleSince(const std::string& spki_sha256) const {
  const fs::path database = state_dir_ / "state.sqlite3";
  if (!fs::exists(database)) return std::nullopt;
  const CommandResult result =
      runCommand({"sqlite3", "-readonly", database.string(),
                  "SELECT visible_since FROM record_history WHERE lower(hex(data)) = '" +
                      lowered(spki_sha256) + "' AND visible_since IS NOT NULL"});
  const std::string value = trimmed(result.out);
  if (result.exit_code != 0 || value.empty()) return std::nullopt;
  return std::stoll(value);
}

void E2eWorld::enableFirst(const E2eCertificate& certificate) {
  installCertificate(certificate);
  const CommandResult run = daneguard("run", {"--wait"}, 1);
  if (run.exit_code != 0)
    throw std::runtime_error("first enablement failed (" + std::to_string(run.exit_code) +
                             "): " + run.out + run.err);
  if (!pollUntil([&] { return everyServerServes({certificate.tlsa()}); }, std::chrono::seconds(10)))
    throw std::runtime_error("after the first enablement not every server serves " +
                             certificate.tlsa());
  const auto calls = hookCalls();
  if (calls.empty() || calls.back().cert_fingerprint != certificate.fingerprint)
    throw std::runtime_error("the hook did not get " + certificate.fingerprint);
}

}  // namespace daneguard::testing
