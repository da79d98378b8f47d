// The ACME client test world (see the header).
#include "integration/acme/acme_world.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

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

void writeFile(const fs::path& path, const std::string& content) {
  const fs::path temporary = path.string() + ".new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
  }
  fs::rename(temporary, path);
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

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string word; in >> word;)
    out.push_back(word);
  return out;
}

std::string mustRun(const std::vector<std::string>& argv) {
  const CommandResult result = runCommand(argv);
  if (result.exit_code != 0)
    throw std::runtime_error(argv.front() + " failed (" + std::to_string(result.exit_code) +
                             "): " + result.err);
  return result.out;
}

/// `key "NAME" { algorithm ...; secret "BASE64"; };` -> NAME and BASE64.
std::pair<std::string, std::string> parseKeyFile(const fs::path& path) {
  const std::string text = readWhole(path);
  const auto name_start = text.find('"') + 1;
  const auto secret_start = text.find("secret \"") + 8;
  return {text.substr(name_start, text.find('"', name_start) - name_start),
          text.substr(secret_start, text.find('"', secret_start) - secret_start)};
}

/// The machine exports CA bundle variables (testbed-notes pitfall 12): clients get ours only.
std::vector<std::string> clientEnvironment() {
  return {"env",
          "-u",
          "SSL_CERT_FILE",
          "-u",
          "CURL_CA_BUNDLE",
          "-u",
          "DANEGUARD_CONFIG",
          "-u",
          "DANEGUARD_STATE_DIR"};
}

}  // namespace

CertificateFacts certificateFacts(const fs::path& pem) {
  CertificateFacts facts;
  facts.fingerprint = trimmed(
      mustRun({"openssl", "x509", "-in", pem.string(), "-noout", "-fingerprint", "-sha256"}));
  // TLSA 3 1 1 as RFC 6698 §A.1.2 spells it: SHA-256 over the DER SubjectPublicKeyInfo.
  const fs::path spki_pem = pem.string() + ".spki.pem";
  const fs::path spki_der = pem.string() + ".spki.der";
  writeFile(spki_pem, mustRun({"openssl", "x509", "-in", pem.string(), "-noout", "-pubkey"}));
  mustRun({"openssl", "pkey", "-pubin", "-in", spki_pem.string(), "-outform", "DER", "-out",
           spki_der.string()});
  facts.spki_sha256 =
      lowered(words(mustRun({"openssl", "dgst", "-sha256", "-r", spki_der.string()})).at(0));
  fs::remove(spki_pem);
  fs::remove(spki_der);
  return facts;
}

std::optional<std::string> AcmeWorld::unavailableReason() {
  for (const char* tool : {"named", "dig", "openssl", "sqlite3", "certbot", "lego"})
    if (!adapters::sandbox::findProgram(tool))
      return std::string(tool) +
             " is not installed (bind9, bind9-dnsutils, openssl, sqlite3, certbot, "
             "python3-certbot-dns-rfc2136, lego)";
  if (auto reason = PebbleFixture::unavailableReason()) return reason;
  return NetworkNamespace::unavailableReason();
}

AcmeWorld::AcmeWorld() {
  DnsSandboxOptions options = DnsSandboxOptions::productionLike(1);
  network_.emplace(NetworkNamespace::enterPrivate(options.addresses()));
  // DNS-01 writes TXT records at _acme-challenge names with the same key.
  options.update_permission = adapters::sandbox::UpdatePermission::AnyRecord;
  options.default_ttl = 60;
  options.soa_ttl = 3;  // negative TTL = min(60, 3) = 3 s keeps the first enablement short
  options.soa_minimum = 60;
  options.ready_timeout = std::chrono::seconds(20);
  auto started = DnsSandbox::start(std::move(options));
  if (!started) throw std::runtime_error("sandbox: " + started.error().message);
  sandbox_ = std::move(*started);

  const auto& primary = sandbox_->updateServer();
  pebble_ = std::make_unique<PebbleFixture>(dir_.path() / "pebble",
                                            primary.host + ":" + std::to_string(primary.port));
  std::tie(tsig_name_, tsig_secret_) = parseKeyFile(sandbox_->updateKey().path);
  rfc2136_ini_ = dir_.path() / "rfc2136.ini";
  writeFile(rfc2136_ini_, "dns_rfc2136_server = " + primary.host + "\ndns_rfc2136_port = " +
                              std::to_string(primary.port) + "\ndns_rfc2136_name = " + tsig_name_ +
                              "\ndns_rfc2136_secret = " + tsig_secret_ +
                              "\ndns_rfc2136_algorithm = HMAC-SHA256\n");
  fs::permissions(rfc2136_ini_, fs::perms::owner_read | fs::perms::owner_write);

  state_dir_ = dir_.path() / "state";
  hook_path_ = dir_.path() / "hook" / "deploy-mail";
  fs::create_directories(hook_path_.parent_path());
  const std::string hook_dir = hook_path_.parent_path().string();
  const std::string root = pebble_->issuerRootPath().string();
  writeFile(hook_path_,
            "#!/bin/sh\n"
            "# Deploy hook of the ACME tests: records what it was given as a server would use "
            "it.\n"
            "started=$(date +%s.%N)\n"
            "fp=$(openssl x509 -in \"$DANEGUARD_CERT_FILE\" -noout -fingerprint -sha256)\n"
            "cert_pub=$(openssl x509 -in \"$DANEGUARD_CERT_FILE\" -noout -pubkey)\n"
            "key_pub=$(openssl pkey -in \"$DANEGUARD_KEY_FILE\" -pubout)\n"
            "match=no\n"
            "if [ -n \"$cert_pub\" ] && [ \"$cert_pub\" = \"$key_pub\" ]; then match=yes; fi\n"
            "verified=no\n"
            "if openssl verify -CAfile " +
                root +
                " -untrusted \"$DANEGUARD_CHAIN_FILE\" \"$DANEGUARD_CERT_FILE\" >/dev/null 2>&1; "
                "then verified=yes; fi\n"
                "echo \"$started|$fp|$match|$verified\" >> " +
                hook_dir + "/calls\n");
  fs::permissions(hook_path_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
  config_path_ = dir_.path() / "daneguard.toml";
}

AcmeWorld::~AcmeWorld() {
  pebble_.reset();
  sandbox_.reset();  // named first, while still inside the namespace it listens in
}

CommandResult AcmeWorld::certbot(const std::vector<std::string>& arguments) {
  std::vector<std::string> argv = clientEnvironment();
  argv.push_back("REQUESTS_CA_BUNDLE=" + pebble_->tlsCaPath().string());
  argv.push_back("certbot");
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const fs::path base = dir_.path() / "certbot";
  argv.insert(argv.end(),
              {"--non-interactive", "--config-dir", (base / "config").string(), "--work-dir",
               (base / "work").string(), "--logs-dir", (base / "logs").string()});
  return runCommand(argv);
}

CommandResult AcmeWorld::certbotCertonly(bool reuse_key) {
  std::vector<std::string> arguments{"certonly",
                                     "--agree-tos",
                                     "-m",
                                     "admin@example.test",
                                     "--no-eff-email",
                                     "--server",
                                     pebble_->directoryUrl(),
                                     "--dns-rfc2136",
                                     "--dns-rfc2136-credentials",
                                     rfc2136_ini_.string(),
                                     "--dns-rfc2136-propagation-seconds",
                                     "1",
                                     "--key-type",
                                     "ecdsa",
                                     "-d",
                                     kAcmeHost};
  if (reuse_key) arguments.push_back("--reuse-key");
  return certbot(arguments);
}

CommandResult AcmeWorld::certbotRenew(const std::vector<std::string>& extra) {
  // Not from a terminal, `certbot renew` first sleeps up to 8 minutes unless told not to.
  std::vector<std::string> arguments{"renew", "--cert-name", kAcmeHost, "--force-renewal",
                                     "--no-random-sleep-on-renew"};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return certbot(arguments);
}

fs::path AcmeWorld::certbotConfigDir() const {
  return dir_.path() / "certbot" / "config";
}

fs::path AcmeWorld::lineageDir() const {
  return certbotConfigDir() / "live" / kAcmeHost;
}

CommandResult AcmeWorld::lego(bool renew) {
  const auto& primary = sandbox_->updateServer();
  const std::string server = primary.host + ":" + std::to_string(primary.port);
  std::vector<std::string> argv = clientEnvironment();
  argv.insert(argv.end(), {"LEGO_CA_CERTIFICATES=" + pebble_->tlsCaPath().string(),
                           "RFC2136_NAMESERVER=" + server,
                           "RFC2136_TSIG_KEY=" + tsig_name_,
                           "RFC2136_TSIG_SECRET=" + tsig_secret_,
                           "RFC2136_TSIG_ALGORITHM=hmac-sha256.",
                           "RFC2136_PROPAGATION_TIMEOUT=30",
                           "RFC2136_POLLING_INTERVAL=1",
                           "lego",
                           "--accept-tos",
                           "--email",
                           "admin@example.test",
                           "--server",
                           pebble_->directoryUrl(),
                           "--path",
                           (dir_.path() / "lego").string(),
                           "--key-type",
                           "ec256",
                           "--dns",
                           "rfc2136",
                           "--dns.resolvers",
                           server,
                           "--dns.disable-cp",
                           "--pem",
                           "-d",
                           kAcmeHost});
  if (renew) {
    // Not from a terminal, `lego renew` first sleeps a random while unless told not to.
    argv.insert(argv.end(), {"renew", "--days", "9999", "--no-random-sleep"});
  } else {
    argv.push_back("run");
  }
  return runCommand(argv);
}

fs::path AcmeWorld::legoPemPath() const {
  return dir_.path() / "lego" / "certificates" / (std::string(kAcmeHost) + ".pem");
}

std::string AcmeWorld::hookDeployTable() const {
  return "type = \"hook\"\ncommand = [\"" + hook_path_.string() + "\"]\ntimeout = \"20s\"\n";
}

void AcmeWorld::writeConfig(const std::string& certificate_table) {
  writeConfig(certificate_table, hookDeployTable());
}

void AcmeWorld::writeConfig(const std::string& certificate_table, const std::string& deploy_table) {
  const std::string text =
      "state_dir = \"" + state_dir_.string() +
      "\"\n"
      "[rollover]\npoll_interval = \"1s\"\nmargin = \"1s\"\npropagation_timeout = \"30s\"\n"
      "[publishers.primary]\ntype = \"rfc2136\"\nserver = \"" +
      sandbox_->updateServer().host + "\"\ntsig_key_file = \"" +
      sandbox_->updateKey().path.string() +
      "\"\n"
      "[[services]]\nname = \"mail\"\nhosts = [\"mail.example.test\"]\nports = [25]\n"
      "ttl = 2\npublisher = \"primary\"\n"
      "[services.certificate]\n" +
      certificate_table + "[services.deploy]\n" + deploy_table +
      "[services.probe]\nenabled = false\n";
  writeFile(config_path_, text);
}

void AcmeWorld::useCertbotSource() {
  useCertbotSource(hookDeployTable());
}

void AcmeWorld::useCertbotSource(const std::string& deploy_table) {
  writeConfig("type = \"certbot\"\nlineage = \"" + std::string(kAcmeHost) + "\"\nconfig_dir = \"" +
                  certbotConfigDir().string() + "\"\n",
              deploy_table);
}

void AcmeWorld::useLegoPemSource() {
  writeConfig("type = \"pem\"\npath = \"" + legoPemPath().string() + "\"\n");
}

std::string AcmeWorld::daneguardCommandLine(const std::string& command,
                                            const std::vector<std::string>& arguments) const {
  std::string line = std::string(DANEGUARD_BINARY) + " " + command + " -c " +
                     config_path_.string() + " --state-dir " + state_dir_.string();
  for (const std::string& argument : arguments)
    line += " " + argument;
  return line;
}

CommandResult AcmeWorld::daneguard(const std::string& command,
                                   const std::vector<std::string>& arguments, int cache_factor) {
  std::vector<std::string> argv = withoutDaneguardEnvironment();
  argv.insert(argv.end(), {DANEGUARD_BINARY, command, "-c", config_path_.string(), "--state-dir",
                           state_dir_.string(), "--poll-interval", "1"});
  if (command == "run" || command == "plan" || command == "status")
    argv.insert(argv.end(), {"--margin", "1", "--cache-factor", std::to_string(cache_factor)});
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return runCommand(argv);
}

std::vector<AcmeHookCall> AcmeWorld::hookCalls() const {
  std::vector<AcmeHookCall> calls;
  std::istringstream lines(readWhole(hook_path_.parent_path() / "calls"));
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::istringstream parts(line);
    for (std::string field; std::getline(parts, field, '|');)
      fields.push_back(field);
    if (fields.size() != 4) throw std::runtime_error("malformed hook record: " + line);
    calls.push_back(
        AcmeHookCall{std::stod(fields[0]), fields[1], fields[2] == "yes", fields[3] == "yes"});
  }
  return calls;
}

std::optional<std::multiset<std::string>> AcmeWorld::servedTlsa(std::size_t server) const {
  const auto& endpoint = sandbox_->servers().at(server).endpoint;
  const CommandResult result =
      runCommand({"dig", "+norec", "+time=1", "+tries=2", "+noall", "+answer", "+nomultiline",
                  "@" + endpoint.host, "-p", std::to_string(endpoint.port), owner(), "TLSA"});
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
  }
  return records;
}

bool AcmeWorld::everyServerServes(const std::multiset<std::string>& records) const {
  for (std::size_t index = 0; index < sandbox_->servers().size(); ++index) {
    const auto served = servedTlsa(index);
    if (!served || *served != records) return false;
  }
  return true;
}

std::optional<std::uint32_t> AcmeWorld::serialAt(std::size_t server) const {
  const auto& endpoint = sandbox_->servers().at(server).endpoint;
  const CommandResult result =
      runCommand({"dig", "+norec", "+time=1", "+tries=2", "+short", "@" + endpoint.host, "-p",
                  std::to_string(endpoint.port), sandbox_->zone(), "SOA"});
  const std::vector<std::string> fields = words(result.out);
  if (result.exit_code != 0 || fields.size() < 3) return std::nullopt;
  return static_cast<std::uint32_t>(std::stoul(fields[2]));
}

std::optional<long long> AcmeWorld::recordedVisibleSince(const std::string& spki_sha256) const {
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

}  // namespace daneguard::testing
