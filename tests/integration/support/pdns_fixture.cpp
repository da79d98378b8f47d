// PowerDNS test server (see the header).
#include "integration/support/pdns_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace daneguard::testing {
namespace {

namespace fs = std::filesystem;
constexpr const char* kSchema = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql";

void writeFile(const fs::path& path, const std::string& content) {
  std::ofstream out(path);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string word; in >> word;)
    out.push_back(word);
  return out;
}

std::string lowered(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return text;
}

/// Binds port 0 of `type` on 127.0.0.1 and returns the port, or 0.
std::uint16_t boundPort(int type, std::uint16_t wanted) {
  const int fd = ::socket(AF_INET, type, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(wanted);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
      port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace

std::uint16_t freeLoopbackPort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const std::uint16_t port = boundPort(SOCK_STREAM, 0);
    if (port != 0 && boundPort(SOCK_DGRAM, port) == port) return port;
  }
  throw std::runtime_error("no free loopback port");
}

std::optional<std::string> PdnsFixture::unavailableReason() {
  for (const char* program : {"pdns_server", "sqlite3", "curl", "dig"})
    if (!programExists(program)) return std::string(program) + " is not installed";
  if (!fs::exists(kSchema)) return std::string(kSchema) + " is missing (pdns-backend-sqlite3)";
  return std::nullopt;
}

PdnsFixture::PdnsFixture(PdnsOptions options) : options_(std::move(options)) {
  const CommandResult random = runCommand({"openssl", "rand", "-hex", "16"});
  api_key_ = random.out.substr(0, random.out.find('\n'));
  if (random.exit_code != 0 || api_key_.size() != 32)
    throw std::runtime_error("openssl rand failed: " + random.err);
  api_key_file_ = dir_.write("secrets/pdns-api-key", api_key_ + "\n");
  fs::permissions(api_key_file_, fs::perms::owner_read | fs::perms::owner_write);
  start();
}

PdnsFixture::~PdnsFixture() {
  stop();
}

std::string PdnsFixture::apiUrl() const {
  return "http://127.0.0.1:" + std::to_string(web_port_);
}

void PdnsFixture::start() {
  const fs::path config_dir = dir_.path() / "pdns";
  fs::create_directories(config_dir);
  const fs::path database = config_dir / "pdns.sqlite3";
  const CommandResult schema =
      runCommand({"sqlite3", database.string(), std::string(".read ") + kSchema});
  if (schema.exit_code != 0) throw std::runtime_error("sqlite3 schema: " + schema.err);

  for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) {
    dns_port_ = freeLoopbackPort();
    web_port_ = freeLoopbackPort();
    writeFile(config_dir / "pdns.conf",
              "launch=gsqlite3\n"
              "gsqlite3-database=" +
                  database.string() +
                  "\n"
                  "gsqlite3-dnssec=yes\n"
                  "local-address=127.0.0.1:" +
                  std::to_string(dns_port_) +
                  "\n"
                  "daemon=no\nguardian=no\ndisable-syslog=yes\n"
                  "socket-dir=" +
                  config_dir.string() +
                  "\n"
                  "api=yes\napi-key=" +
                  api_key_ +
                  "\n"
                  "webserver=yes\nwebserver-address=127.0.0.1\n"
                  "webserver-port=" +
                  std::to_string(web_port_) +
                  "\n"
                  "webserver-allow-from=127.0.0.1,::1\n"
                  "security-poll-suffix=\n"
                  // Answers must follow API edits at once: no packet or query caching.
                  "cache-ttl=0\nquery-cache-ttl=0\nnegquery-cache-ttl=0\n"
                  "loglevel=6\n");
    pid_ = spawnWithFiles({"pdns_server", "--config-dir=" + config_dir.string()}, "/dev/null",
                          dir_.path() / "pdns.log", dir_.path() / "pdns.err");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool ready = false;
    while (!ready && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // died: port taken? try again
        pid_ = -1;
        break;
      }
      ready = api("GET", "").first == 200;
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (pid_ >= 0 && !ready) {
      stop();
      throw std::runtime_error("pdns_server did not become ready:\n" + log());
    }
  }
  if (pid_ < 0) throw std::runtime_error("pdns_server did not start:\n" + log());

  const std::string& zone = options_.zone;
  const std::string soa = "ns1." + zone + " hostmaster." + zone + " 1 10800 3600 604800 " +
                          std::to_string(options_.soa_minimum);
  const std::string body =
      "{\"name\":\"" + zone +
      "\",\"kind\":\"Native\",\"dnssec\":" + (options_.dnssec ? "true" : "false") +
      ",\"api_rectify\":" + (options_.api_rectify ? "true" : "false") +
      ",\"soa_edit_api\":\"DEFAULT\",\"rrsets\":["
      "{\"name\":\"" +
      zone + "\",\"type\":\"SOA\",\"ttl\":" + std::to_string(options_.soa_ttl) +
      ",\"records\":[{\"content\":\"" + soa +
      "\",\"disabled\":false}]},"
      "{\"name\":\"" +
      zone + "\",\"type\":\"NS\",\"ttl\":60,\"records\":[{\"content\":\"ns1." + zone +
      "\",\"disabled\":false}]},"
      "{\"name\":\"ns1." +
      zone +
      "\",\"type\":\"A\",\"ttl\":60,\"records\":[{\"content\":"
      "\"127.0.0.1\",\"disabled\":false}]},"
      "{\"name\":\"mail." +
      zone +
      "\",\"type\":\"A\",\"ttl\":60,\"records\":[{\"content\":"
      "\"127.0.0.1\",\"disabled\":false}]}]}";
  const auto [status, answer] = api("POST", "/zones", body);
  if (status != 201)
    throw std::runtime_error("creating the zone: HTTP " + std::to_string(status) + " " + answer);
}

void PdnsFixture::stop() {
  if (pid_ < 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
}

std::pair<int, std::string> PdnsFixture::api(const std::string& method, const std::string& path,
                                             const std::string& body) const {
  std::vector<std::string> argv = {"curl",
                                   "-sS",
                                   "--max-time",
                                   "5",
                                   "-X",
                                   method,
                                   "-H",
                                   "X-API-Key: " + api_key_,
                                   "-H",
                                   "Content-Type: application/json",
                                   "-w",
                                   "\n%{http_code}",
                                   apiUrl() + "/api/v1/servers/localhost" + path};
  if (!body.empty()) {
    argv.insert(argv.end() - 1, "--data-binary");
    argv.insert(argv.end() - 1, "@-");
  }
  const CommandResult result = runCommand(argv, body);
  const auto newline = result.out.rfind('\n');
  if (result.exit_code != 0 || newline == std::string::npos) return {0, result.err};
  return {std::atoi(result.out.c_str() + newline + 1), result.out.substr(0, newline)};
}

void PdnsFixture::replaceTlsa(const std::string& owner, const std::set<std::string>& records,
                              std::uint32_t ttl) const {
  std::string list;
  for (const std::string& record : records)
    list += (list.empty() ? "" : ",") + std::string("{\"content\":\"") + record +
            "\",\"disabled\":false}";
  const auto [status, answer] = api(
      "PATCH", "/zones/" + options_.zone,
      "{\"rrsets\":[{\"name\":\"" + owner + "\",\"type\":\"TLSA\",\"ttl\":" + std::to_string(ttl) +
          ",\"changetype\":\"REPLACE\",\"records\":[" + list + "]}]}");
  if (status != 204)
    throw std::runtime_error("replacing TLSA at " + owner + ": HTTP " + std::to_string(status) +
                             " " + answer);
}

std::optional<std::multiset<std::string>> PdnsFixture::servedTlsa(const std::string& owner,
                                                                  std::uint32_t* ttl,
                                                                  bool* signed_rrset) const {
  const CommandResult result =
      runCommand({"dig", "+norec", "+dnssec", "+time=1", "+tries=2", "+noall", "+answer",
                  "+nomultiline", "@127.0.0.1", "-p", std::to_string(dns_port_), owner, "TLSA"});
  if (result.exit_code != 0) return std::nullopt;
  std::multiset<std::string> records;
  if (signed_rrset != nullptr) *signed_rrset = false;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    const std::vector<std::string> fields = words(line);
    if (fields.size() >= 5 && fields[3] == "RRSIG" && fields[4] == "TLSA" &&
        signed_rrset != nullptr)
      *signed_rrset = true;
    if (fields.size() < 8 || fields[3] != "TLSA") continue;
    std::string data;
    for (std::size_t i = 7; i < fields.size(); ++i)
      data += fields[i];
    records.insert(fields[4] + " " + fields[5] + " " + fields[6] + " " + lowered(data));
    if (ttl != nullptr) *ttl = static_cast<std::uint32_t>(std::stoul(fields[1]));
  }
  return records;
}

std::optional<std::uint32_t> PdnsFixture::serial() const {
  const CommandResult result =
      runCommand({"dig", "+norec", "+time=1", "+tries=2", "+short", "@127.0.0.1", "-p",
                  std::to_string(dns_port_), options_.zone, "SOA"});
  const std::vector<std::string> fields = words(result.out);
  if (result.exit_code != 0 || fields.size() < 3) return std::nullopt;
  return static_cast<std::uint32_t>(std::stoul(fields[2]));
}

std::string PdnsFixture::log() const {
  return readTextFile(dir_.path() / "pdns.log") + readTextFile(dir_.path() / "pdns.err");
}

}  // namespace daneguard::testing
