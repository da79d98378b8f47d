#include "integration/support/bind_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "adapters/dns/dns_message.hpp"
#include "adapters/dns/ldns_handles.hpp"
#include "support/run_command.hpp"

namespace daneguard::testing {
namespace {

using namespace std::chrono_literals;

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string withoutTrailingDot(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

/// Binds UDP and TCP on address:port; port 0 asks the kernel. Returns the bound port or 0.
std::uint16_t tryBind(const std::string& address, std::uint16_t port) {
  const bool v6 = address.find(':') != std::string::npos;
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (v6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    if (inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr) != 1) return 0;
    length = sizeof *in6;
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(port);
    if (inet_pton(AF_INET, address.c_str(), &in4->sin_addr) != 1) return 0;
    length = sizeof *in4;
  }
  std::uint16_t bound = 0;
  const int udp = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const int tcp = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (udp >= 0 && tcp >= 0 && ::bind(udp, reinterpret_cast<sockaddr*>(&storage), length) == 0) {
    sockaddr_storage actual{};
    socklen_t actual_length = sizeof actual;
    ::getsockname(udp, reinterpret_cast<sockaddr*>(&actual), &actual_length);
    const std::uint16_t chosen = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&actual)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&actual)->sin_port);
    if (v6) {
      reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(chosen);
    } else {
      reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(chosen);
    }
    if (::bind(tcp, reinterpret_cast<sockaddr*>(&storage), length) == 0) bound = chosen;
  }
  if (udp >= 0) ::close(udp);
  if (tcp >= 0) ::close(tcp);
  return bound;
}

bool isIpv6(const std::string& address) {
  return address.find(':') != std::string::npos;
}

/// listen-on / listen-on-v6 for exactly one address.
std::string listenClauses(const std::string& address, const std::string& port) {
  return isIpv6(address)
             ? "  listen-on { none; };\n  listen-on-v6 port " + port + " { " + address + "; };\n"
             : "  listen-on port " + port + " { " + address + "; };\n  listen-on-v6 { none; };\n";
}

std::string extractSecret(const std::string& key_file_text) {
  static const std::regex secret(R"(secret\s+"([^"]+)\")");
  std::smatch match;
  if (!std::regex_search(key_file_text, match, secret)) {
    throw std::runtime_error("tsig-keygen output has no secret");
  }
  return match[1];
}

}  // namespace

bool processAlive(pid_t pid) {
  if (pid <= 0) return false;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  if (!status) return false;
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("State:", 0) == 0)
      return line.find('Z') == std::string::npos && line.find("(dead)") == std::string::npos;
  }
  return false;
}

std::uint16_t findFreePort(const std::vector<std::string>& addresses) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::uint16_t port = tryBind(addresses.front(), 0);
    if (port == 0) continue;
    bool free_everywhere = true;
    for (std::size_t i = 1; i < addresses.size() && free_everywhere; ++i)
      free_everywhere = tryBind(addresses[i], port) == port;
    if (free_everywhere) return port;
  }
  throw std::runtime_error("no port is free on every fixture address");
}

BindFixture::BindFixture(BindFixtureOptions options) : options_(std::move(options)) {
  const std::vector<std::string> addresses{options_.primary_address, options_.secondary_address};
  port_ = options_.port != 0 ? options_.port : findFreePort(addresses);

  auto keygen = runCommand({"tsig-keygen", "-a", options_.tsig_algorithm, options_.tsig_key_name});
  if (keygen.exit_code != 0) throw std::runtime_error("tsig-keygen failed: " + keygen.err);
  tsig_key_path_ = dir_.write("tsig.key", keygen.out);
  tsig_secret_ = extractSecret(keygen.out);
  auto readonly = runCommand({"tsig-keygen", "-a", "hmac-sha256", "readonly-key"});
  if (readonly.exit_code != 0) throw std::runtime_error("tsig-keygen failed: " + readonly.err);
  readonly_key_path_ = dir_.write("readonly.key", readonly.out);
  readonly_secret_ = extractSecret(readonly.out);

  writePrimary();
  start(primary_, "primary");
  try {
    waitForSignedZone();
    exportTrustAnchor();
  } catch (...) {
    stop(primary_);
    throw;
  }
}

BindFixture::~BindFixture() {
  stop(secondary_);
  stop(primary_);
}

void BindFixture::writePrimary() {
  const std::string zone = withoutTrailingDot(options_.zone);
  const auto base = dir_.path() / "primary";
  std::filesystem::create_directories(base / "keys");
  std::ostringstream records;
  records << "$TTL " << options_.default_ttl << "\n"
          << "@ " << options_.soa_ttl << " IN SOA ns1 hostmaster 1 3600 600 86400 "
          << options_.soa_minimum << "\n"
          << "@ NS ns1\n@ NS ns2\n"
          << "ns1 " << (isIpv6(options_.primary_address) ? "AAAA " : "A ")
          << options_.primary_address << "\n"
          << "ns2 " << (isIpv6(options_.secondary_address) ? "AAAA " : "A ")
          << options_.secondary_address << "\n"
          << "mail A " << options_.primary_address << "\n"
          << options_.extra_records << "\n";
  dir_.write("primary/" + zone + ".db", records.str());

  const std::string port = std::to_string(port_);
  std::ostringstream conf;
  conf << "include \"" << tsig_key_path_.string() << "\";\n"
       << "include \"" << readonly_key_path_.string() << "\";\n"
       << "options {\n"
       << "  directory \"" << base.string() << "\";\n"
       << listenClauses(options_.primary_address, port)
       << "  recursion no; dnssec-validation no; notify explicit; pid-file none;\n"
       << "  session-keyfile \"" << (base / "session.key").string() << "\";\n"
       << "  managed-keys-directory \"" << base.string() << "\";\n"
       << "};\n"
       << "controls { };\n"
       << "dnssec-policy \"testbed\" {\n"
       << "  keys { csk lifetime unlimited algorithm ecdsap256sha256; };\n"
       << "  dnskey-ttl 60;\n"
       << "};\n"
       << "zone \"" << zone << "\" {\n"
       << "  type primary; file \"" << (base / (zone + ".db")).string() << "\";\n"
       << "  dnssec-policy \"testbed\"; inline-signing no;\n"
       << "  key-directory \"" << (base / "keys").string() << "\";\n"
       << "  notify-delay 0;\n"
       << "  allow-update { key \"" << options_.tsig_key_name << "\"; };\n"
       << "  allow-transfer { 127.0.0.0/8; ::1; };\n"
       << "  also-notify { " << options_.secondary_address << " port " << port << "; };\n"
       << "};\n";
  primary_.config = dir_.write("primary/named.conf", conf.str());
  primary_.log = base / "named.log";
}

void BindFixture::writeSecondaryConfig() {
  const std::string zone = withoutTrailingDot(options_.zone);
  const auto base = dir_.path() / "secondary";
  std::filesystem::create_directories(base);
  const std::string port = std::to_string(port_);
  std::ostringstream conf;
  conf << "options {\n"
       << "  directory \"" << base.string() << "\";\n"
       << listenClauses(options_.secondary_address, port)
       << "  recursion no; dnssec-validation no; notify no; pid-file none;\n"
       << "  session-keyfile \"" << (base / "session.key").string() << "\";\n"
       << "  managed-keys-directory \"" << base.string() << "\";\n"
       << "};\n"
       << "controls { };\n"
       << "zone \"" << zone << "\" {\n"
       << "  type secondary; file \"" << (base / (zone + ".db")).string() << "\";\n"
       << "  primaries { " << options_.primary_address << " port " << port << "; };\n"
       << "  allow-notify { 127.0.0.0/8; ::1; " << options_.primary_address << "; };\n"
       << "};\n";
  secondary_.config = dir_.write("secondary/named.conf", conf.str());
  secondary_.log = base / "named.log";
}

void BindFixture::start(Server& server, const std::string& name) {
  std::vector<std::string> argv = options_.command_prefix;
  for (const char* arg : {"named", "-g", "-n", "1", "-c"})
    argv.emplace_back(arg);
  argv.push_back(server.config.string());
  std::vector<char*> args;
  for (auto& arg : argv)
    args.push_back(arg.data());
  args.push_back(nullptr);
  const int log = ::open(server.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log < 0) throw std::runtime_error("cannot open " + server.log.string());
  // fork + exec rather than posix_spawn: the child asks for SIGTERM when the test process
  // dies (a crash or an ASan abort skips destructors), so no named outlives its test.
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    const int null_input = ::open("/dev/null", O_RDONLY);
    ::dup2(null_input, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(log);
  if (pid < 0) {
    throw std::runtime_error("cannot start named for the " + name + ": " + std::strerror(errno));
  }
  server.pid = pid;
}

void BindFixture::stop(Server& server) {
  if (server.pid <= 0) return;
  ::kill(server.pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  int status = 0;
  for (;;) {
    const pid_t reaped = ::waitpid(server.pid, &status, WNOHANG);
    if (reaped == server.pid || (reaped < 0 && !processAlive(server.pid))) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(server.pid, SIGKILL);
      ::waitpid(server.pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  server.pid = -1;
}

void BindFixture::failWithLog(const Server& server, const std::string& why) const {
  std::string log = readFile(server.log);
  if (log.size() > 3000) log = log.substr(log.size() - 3000);
  throw std::runtime_error(why + "\n--- named log (tail) ---\n" + log);
}

std::vector<std::string> BindFixture::digAnswer(const ports::DnsServer& server,
                                                const std::string& name,
                                                const std::string& type) const {
  auto result = runCommand({"dig", "+norec", "+dnssec", "+time=1", "+tries=1", "+noall", "+answer",
                            "@" + server.host, "-p", std::to_string(server.port), name, type});
  std::vector<std::string> lines;
  std::istringstream out(result.out);
  for (std::string line; std::getline(out, line);)
    if (!line.empty() && line[0] != ';') lines.push_back(line);
  return lines;
}

std::optional<std::uint32_t> BindFixture::serialAt(const ports::DnsServer& server) const {
  for (const auto& line : digAnswer(server, options_.zone, "SOA")) {
    std::istringstream fields(line);
    std::string owner, ttl, klass, type, mname, rname;
    std::uint32_t serial = 0;
    if (fields >> owner >> ttl >> klass >> type >> mname >> rname >> serial && type == "SOA")
      return serial;
  }
  return std::nullopt;
}

void BindFixture::waitForSignedZone() {
  const auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
  for (;;) {
    if (!processAlive(primary_.pid)) failWithLog(primary_, "named (primary) exited during start");
    bool dnskey_signed = false;
    bool soa_signed = false;
    for (const auto& line : digAnswer(primary(), options_.zone, "DNSKEY"))
      if (line.find("RRSIG\tDNSKEY") != std::string::npos) dnskey_signed = true;
    for (const auto& line : digAnswer(primary(), options_.zone, "SOA"))
      if (line.find("RRSIG\tSOA") != std::string::npos) soa_signed = true;
    if (dnskey_signed && soa_signed) return;
    if (std::chrono::steady_clock::now() > deadline)
      failWithLog(primary_, "the primary did not serve a signed zone in time");
    std::this_thread::sleep_for(50ms);
  }
}

void BindFixture::exportTrustAnchor() {
  std::string anchor;
  for (const auto& line : digAnswer(primary(), options_.zone, "DNSKEY")) {
    std::istringstream fields(line);
    std::string owner, ttl, klass, type, flags;
    if (fields >> owner >> ttl >> klass >> type >> flags && type == "DNSKEY" && flags == "257")
      anchor += line + "\n";
  }
  if (anchor.empty()) failWithLog(primary_, "the signed zone has no KSK/CSK (flags 257)");
  trust_anchor_path_ = dir_.write("trust-anchor.dnskey", anchor);
  auto ds = runCommand({"dnssec-dsfromkey", "-2", "-f", trust_anchor_path_.string(),
                        withoutTrailingDot(options_.zone)});
  if (ds.exit_code != 0) throw std::runtime_error("dnssec-dsfromkey failed: " + ds.err);
  trust_anchor_ds_path_ = dir_.write("trust-anchor.ds", ds.out);
}

void BindFixture::addSecondary() {
  if (!secondary_configured_) {
    writeSecondaryConfig();
    secondary_configured_ = true;
  }
  startSecondary();
}

void BindFixture::startSecondary() {
  if (!secondary_configured_) throw std::logic_error("startSecondary() before addSecondary()");
  if (secondaryRunning()) return;
  start(secondary_, "secondary");
  if (!waitForSecondarySync(options_.ready_timeout)) {
    failWithLog(secondary_, "the secondary did not reach the primary's serial in time");
  }
}

void BindFixture::stopSecondary() {
  stop(secondary_);
}

bool BindFixture::secondaryRunning() const {
  return processAlive(secondary_.pid);
}

bool BindFixture::waitForSecondarySync(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto next_notify = std::chrono::steady_clock::now();
  for (;;) {
    if (!secondaryRunning()) return false;
    const auto wanted = serialAt(primary());
    const auto have = serialAt(secondary());
    if (wanted && have && *wanted == *have) return true;
    // A secondary restarted from its zone file schedules its first refresh at a random point
    // of the SOA refresh interval (an hour), and the primary's NOTIFY went out while it was
    // down: nudge it, as `rndc notify` would.
    if (have && std::chrono::steady_clock::now() >= next_notify) {
      notifySecondary();
      next_notify = std::chrono::steady_clock::now() + 500ms;
    }
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
}

void BindFixture::notifySecondary() const {
  using adapters::dns::LdnsPktPtr;
  LdnsPktPtr notify(ldns_pkt_query_new(ldns_dname_new_frm_str(options_.zone.c_str()),
                                       LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, LDNS_AA));
  if (!notify) return;
  ldns_pkt_set_opcode(notify.get(), LDNS_PACKET_NOTIFY);
  ldns_pkt_set_id(notify.get(), adapters::dns::randomMessageId());
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&wire, notify.get(), &size) != LDNS_STATUS_OK) return;
  adapters::dns::MallocBytesPtr owned(wire);
  const auto secondary_server = secondary();
  const bool v6 = isIpv6(secondary_server.host);
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (v6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port_);
    inet_pton(AF_INET6, secondary_server.host.c_str(), &in6->sin6_addr);
    length = sizeof *in6;
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(port_);
    inet_pton(AF_INET, secondary_server.host.c_str(), &in4->sin_addr);
    length = sizeof *in4;
  }
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  ::sendto(fd, wire, size, 0, reinterpret_cast<sockaddr*>(&storage), length);
  ::close(fd);  // the NOTIFY reply is not needed: the serial check is the oracle
}

std::string BindFixture::primaryLog() const {
  return readFile(primary_.log);
}

}  // namespace daneguard::testing
