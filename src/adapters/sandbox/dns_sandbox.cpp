#include "adapters/sandbox/dns_sandbox.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "adapters/dns/ldns_dns_query.hpp"
#include "adapters/files/system_error.hpp"
#include "adapters/files/unique_fd.hpp"
#include "adapters/sandbox/loopback_addresses.hpp"
#include "core/digest.hpp"
#include "core/hex.hpp"

namespace daneguard::adapters::sandbox {
namespace {

using namespace std::chrono_literals;
using files::UniqueFd;
using ports::DnsType;

constexpr auto kNudgeInterval = 500ms;
constexpr auto kPollInterval = 25ms;
const std::string kTransferKeyName = "sandbox-transfer-key";
/// What named logs when its port is taken (it then exits, or runs without that socket).
bool logSaysPortTaken(const std::string& log) {
  return log.find("address in use") != std::string::npos ||
         log.find("unable to listen on any configured interfaces") != std::string::npos;
}

bool isIpv6(const std::string& address) {
  return address.find(':') != std::string::npos;
}

std::string canonicalZone(std::string zone) {
  std::transform(zone.begin(), zone.end(), zone.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (zone.empty() || zone.back() != '.') zone.push_back('.');
  return zone;
}

std::string withoutTrailingDot(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

/// A name in DNS wire form (RFC 1035 §3.1), lower case: what a DS digest covers (RFC 4034 §5.1.4).
Bytes wireName(const std::string& canonical) {
  Bytes wire;
  std::size_t begin = 0;
  while (begin < canonical.size()) {
    const std::size_t dot = canonical.find('.', begin);
    const std::size_t end = dot == std::string::npos ? canonical.size() : dot;
    wire.push_back(static_cast<std::uint8_t>(end - begin));
    wire.insert(wire.end(), canonical.begin() + static_cast<std::ptrdiff_t>(begin),
                canonical.begin() + static_cast<std::ptrdiff_t>(end));
    begin = end + 1;
  }
  wire.push_back(0);
  return wire;
}

/// RFC 4034 Appendix B.
std::uint16_t keyTag(ByteView dnskey_rdata) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < dnskey_rdata.size(); ++i)
    sum += (i & 1U) != 0 ? dnskey_rdata[i] : static_cast<std::uint32_t>(dnskey_rdata[i]) << 8U;
  sum += (sum >> 16U) & 0xFFFFU;
  return static_cast<std::uint16_t>(sum & 0xFFFFU);
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Creates or replaces `path` with `mode` (the mode is set even if the file existed).
Result<void> writeFile(const std::filesystem::path& path, std::string_view text,
                       mode_t mode = 0644) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return fail(files::systemError(path, "create", errno));
  if (::fchmod(fd.get(), mode) != 0) return fail(files::systemError(path, "chmod", errno));
  while (!text.empty()) {
    const ssize_t written = ::write(fd.get(), text.data(), text.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return fail(files::systemError(path, "write", errno));
    }
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

/// Secret length in bytes per algorithm: the digest size, as tsig-keygen does.
Result<int> secretLength(const std::string& algorithm) {
  if (algorithm == "hmac-sha1") return 20;
  if (algorithm == "hmac-sha224") return 28;
  if (algorithm == "hmac-sha256") return 32;
  if (algorithm == "hmac-sha384") return 48;
  if (algorithm == "hmac-sha512") return 64;
  return fail(ErrorKind::Config, "TSIG algorithm '" + algorithm +
                                     "' is not offered by the sandbox; use hmac-sha256 "
                                     "(or hmac-sha1, hmac-sha224, hmac-sha384, hmac-sha512)");
}

/// Writes a fresh random key in BIND's key-file format with mode 0600; the secret is wiped
/// from memory once written.
Result<TsigKeyFile> writeNewKey(const std::filesystem::path& folder, const std::string& name,
                                const std::string& algorithm) {
  auto length = secretLength(algorithm);
  if (!length) return fail(length.error());
  std::vector<unsigned char> secret(static_cast<std::size_t>(*length));
  std::vector<unsigned char> base64(static_cast<std::size_t>(4 * ((*length + 2) / 3) + 1));
  if (RAND_bytes(secret.data(), *length) != 1)
    return fail(ErrorKind::Internal, "the OpenSSL random generator failed to make a TSIG key");
  EVP_EncodeBlock(base64.data(), secret.data(), *length);
  std::string text = "key \"" + name + "\" {\n\talgorithm " + algorithm + ";\n\tsecret \"" +
                     reinterpret_cast<const char*>(base64.data()) + "\";\n};\n";
  TsigKeyFile key{name, algorithm, folder / (name + ".key")};
  auto written = writeFile(key.path, text, 0600);
  OPENSSL_cleanse(secret.data(), secret.size());
  OPENSSL_cleanse(base64.data(), base64.size());
  OPENSSL_cleanse(text.data(), text.size());
  if (!written) return fail(written.error());
  return key;
}

std::string listenClauses(const std::string& address, std::uint16_t port) {
  const std::string port_text = std::to_string(port);
  return isIpv6(address) ? "  listen-on { none; };\n  listen-on-v6 port " + port_text + " { " +
                               address + "; };\n"
                         : "  listen-on port " + port_text + " { " + address +
                               "; };\n  listen-on-v6 { none; };\n";
}

std::string commonOptions(const std::filesystem::path& folder, const std::string& address,
                          std::uint16_t port, const std::string& notify) {
  return "options {\n  directory \"" + folder.string() + "\";\n" + listenClauses(address, port) +
         "  recursion no;\n  dnssec-validation no;\n  notify " + notify +
         ";\n  pid-file none;\n  session-keyfile \"" + (folder / "session.key").string() +
         "\";\n  managed-keys-directory \"" + folder.string() + "\";\n};\ncontrols { };\n";
}

std::string includeKey(const TsigKeyFile& key) {
  return "include \"" + key.path.string() + "\";\n";
}

adapters::dns::LdnsDnsQuery quickQuery() {
  return adapters::dns::LdnsDnsQuery(adapters::dns::TransportOptions{300ms, 1, 4});
}

}  // namespace

DnsSandboxOptions DnsSandboxOptions::loopback(bool with_secondary) {
  DnsSandboxOptions options;
  options.primary_address = "127.0.0.1";
  if (with_secondary) options.secondary_addresses = {"::1"};
  options.port = 0;
  return options;
}

DnsSandboxOptions DnsSandboxOptions::productionLike(std::size_t secondaries) {
  DnsSandboxOptions options;
  options.primary_address = "127.0.0.2";
  for (std::size_t i = 0; i < secondaries; ++i)
    options.secondary_addresses.push_back("127.0.0." + std::to_string(3 + i));
  options.port = 53;
  return options;
}

std::vector<std::string> DnsSandboxOptions::addresses() const {
  std::vector<std::string> all{primary_address};
  all.insert(all.end(), secondary_addresses.begin(), secondary_addresses.end());
  return all;
}

DnsSandbox::DnsSandbox(DnsSandboxOptions options)
    : options_(std::move(options)), zone_(canonicalZone(options_.zone)) {}

DnsSandbox::~DnsSandbox() {
  // Secondaries first: a primary going away first would only make them log transfer errors.
  for (auto it = processes_.rbegin(); it != processes_.rend(); ++it)
    it->child.stop();
  if (!directory_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
}

Result<std::unique_ptr<DnsSandbox>> DnsSandbox::start(DnsSandboxOptions options) {
  // A port found free can be taken by another program before named binds it (parallel tests):
  // with a port of our choosing, try again on a fresh one.
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    std::unique_ptr<DnsSandbox> sandbox(new DnsSandbox(options));
    auto started = sandbox->startAll();
    if (started) return sandbox;
    if (!sandbox->port_taken_ || options.port != 0 || attempt == kAttempts)
      return fail(started.error());
  }
}

Result<void> DnsSandbox::startAll() {
  if (auto prepared = prepare(); !prepared) return prepared;
  if (auto started = launch(0, StartMode::CatchUp); !started) return started;
  if (auto anchor = exportTrustAnchor(); !anchor) return anchor;
  if (options_.start_secondaries) {
    for (std::size_t i = 1; i < processes_.size(); ++i)
      if (auto started = launch(i, StartMode::CatchUp); !started) return started;
  }
  return {};
}

Result<void> DnsSandbox::prepare() {
  auto named = findProgram("named");
  if (!named) {
    return fail(ErrorKind::NotFound,
                "the DNS sandbox needs BIND 9's name server 'named', which is not installed "
                "(not in PATH, /usr/sbin or /sbin): install the Debian packages bind9 and "
                "bind9-dnsutils (apt-get install --no-install-recommends bind9 bind9-dnsutils)");
  }
  named_ = *named;

  const auto addresses = options_.addresses();
  std::set<std::string> distinct;
  for (const auto& address : addresses) {
    if (!distinct.insert(address).second)
      return fail(ErrorKind::Config, "sandbox address " + address +
                                         " is given twice: every name server needs its own");
    if (!addressConfigured(address)) {
      return fail(ErrorKind::Config,
                  "sandbox address " + address +
                      " is not configured on any interface, and named listens only on configured "
                      "addresses; a stock loopback has just 127.0.0.1 and ::1. Add it inside a "
                      "network namespace (ip netns add NS; ip -n NS link set lo up; ip -n NS addr "
                      "add " +
                      address + (isIpv6(address) ? "/128" : "/8") +
                      " dev lo) and run there, or use DnsSandboxOptions::loopback()");
    }
  }
  std::uint16_t port = options_.port;
  if (port == 0) {
    auto free_port = findFreePort(addresses);
    if (!free_port) return fail(free_port.error());
    port = *free_port;
  } else {
    for (const auto& address : addresses)
      if (auto free = checkPortFree(address, port); !free)
        return fail(ErrorKind::Config,
                    free.error().message + " (is another name server running there?)");
  }

  const auto parent = options_.parent_directory.empty() ? std::filesystem::temp_directory_path()
                                                        : options_.parent_directory;
  std::string pattern = (parent / "daneguard-sandbox-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    return fail(files::systemError(parent, "create a sandbox directory in", errno));
  directory_ = pattern;

  for (std::size_t i = 0; i < addresses.size(); ++i) {
    servers_.push_back(SandboxServer{"ns" + std::to_string(i + 1) + "." + zone_,
                                     ports::DnsServer{addresses[i], port}, i == 0});
    const auto folder = directory_ / ("ns" + std::to_string(i + 1));
    std::error_code error;
    std::filesystem::create_directories(folder / "keys", error);
    if (error) return fail(files::systemError(folder, "create", error.value()));
    processes_.push_back(Process{folder / "named.conf", folder / "named.log", ChildProcess{}});
  }
  if (auto keys = writeKeys(); !keys) return keys;
  if (auto primary = writePrimary(); !primary) return primary;
  for (std::size_t i = 1; i < processes_.size(); ++i)
    if (auto secondary = writeSecondary(i, false); !secondary) return secondary;
  return {};
}

Result<void> DnsSandbox::writeKeys() {
  const auto folder = directory_ / "tsig";
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) return fail(files::systemError(folder, "create", error.value()));
  std::filesystem::permissions(folder, std::filesystem::perms::owner_all, error);
  auto update = writeNewKey(folder, options_.update_key_name, options_.tsig_algorithm);
  if (!update) return fail(update.error());
  update_key_ = *update;
  auto transfer = writeNewKey(folder, kTransferKeyName, "hmac-sha256");
  if (!transfer) return fail(transfer.error());
  transfer_key_ = *transfer;
  for (const auto& name : options_.unprivileged_key_names) {
    auto key = writeNewKey(folder, name, "hmac-sha256");
    if (!key) return fail(key.error());
    unprivileged_keys_.push_back(*key);
  }
  return {};
}

Result<void> DnsSandbox::writePrimary() {
  const std::string zone_name = withoutTrailingDot(zone_);
  const auto folder = processes_[0].config.parent_path();
  const auto zone_file = folder / (zone_name + ".db");

  std::ostringstream records;
  records << "$ORIGIN " << zone_ << "\n$TTL " << options_.default_ttl << "\n"
          << "@ " << options_.soa_ttl << " IN SOA ns1 hostmaster 1 3600 600 86400 "
          << options_.soa_minimum << "\n";
  for (const auto& server : servers_)
    records << "@ NS " << server.name << "\n";
  for (const auto& server : servers_)
    records << server.name << " " << (isIpv6(server.endpoint.host) ? "AAAA " : "A ")
            << server.endpoint.host << "\n";
  records << options_.extra_records << "\n";
  if (auto written = writeFile(zone_file, records.str()); !written) return written;

  std::ostringstream conf;
  conf << includeKey(update_key_) << includeKey(transfer_key_);
  for (const auto& key : unprivileged_keys_)
    conf << includeKey(key);
  conf << commonOptions(folder, servers_[0].endpoint.host, servers_[0].endpoint.port, "explicit")
       << "dnssec-policy \"sandbox\" {\n"
       << "  keys { csk lifetime unlimited algorithm ecdsap256sha256; };\n"
       << "  dnskey-ttl " << options_.dnskey_ttl << ";\n"
       << "};\n"
       << "zone \"" << zone_name << "\" {\n"
       << "  type primary;\n  file \"" << zone_file.string() << "\";\n"
       << "  dnssec-policy \"sandbox\";\n  inline-signing no;\n"
       << "  key-directory \"" << (folder / "keys").string() << "\";\n"
       << "  notify-delay " << options_.notify_delay.count() << ";\n";
  if (options_.update_permission == UpdatePermission::TlsaOnly) {
    conf << "  update-policy { grant \"" << update_key_.name << "\" zonesub TLSA; };\n";
  } else {
    conf << "  allow-update { key \"" << update_key_.name << "\"; };\n";
  }
  conf << "  allow-transfer { key \"" << transfer_key_.name << "\"; };\n";
  if (servers_.size() > 1) {
    conf << "  also-notify {";
    for (std::size_t i = 1; i < servers_.size(); ++i)
      conf << " " << servers_[i].endpoint.host << " port " << servers_[i].endpoint.port << " key \""
           << transfer_key_.name << "\";";
    conf << " };\n";
  }
  conf << "};\n";
  return writeFile(processes_[0].config, conf.str());
}

Result<void> DnsSandbox::writeSecondary(std::size_t index, bool cut_off) {
  const std::string zone_name = withoutTrailingDot(zone_);
  const auto folder = processes_[index].config.parent_path();
  ports::DnsServer primary_endpoint = servers_[0].endpoint;
  if (cut_off) {
    // A loopback port where nothing listens: refreshes fail at once, and nothing leaves the host.
    auto unused = findFreePort({"127.0.0.1"});
    if (!unused) return fail(unused.error());
    primary_endpoint = ports::DnsServer{"127.0.0.1", *unused};
  }
  std::ostringstream conf;
  conf << includeKey(transfer_key_)
       << commonOptions(folder, servers_[index].endpoint.host, servers_[index].endpoint.port, "no")
       << "zone \"" << zone_name << "\" {\n"
       << "  type secondary;\n  file \"" << (folder / (zone_name + ".db")).string() << "\";\n"
       << "  primaries { " << primary_endpoint.host << " port " << primary_endpoint.port
       << " key \"" << transfer_key_.name
       << "\"; };\n"
       // The primary's NOTIFYs come from its own address (accepted as a listed primary); the
       // sandbox's nudges (notify()) come from whatever loopback source the kernel picks.
       << "  allow-notify { 127.0.0.0/8; ::1; };\n"
       << "};\n";
  return writeFile(processes_[index].config, conf.str());
}

Result<void> DnsSandbox::checkIndex(std::size_t index) const {
  if (index < processes_.size()) return {};
  return fail(ErrorKind::Internal, "the DNS sandbox has no server #" + std::to_string(index) +
                                       " (it has " + std::to_string(processes_.size()) + ")");
}

Error DnsSandbox::withLog(std::size_t index, ErrorKind kind, const std::string& why) const {
  return Error{kind, why + "\n--- " + logPath(index).string() + " (tail) ---\n" + logTail(index)};
}

std::filesystem::path DnsSandbox::logPath(std::size_t index) const {
  return index < processes_.size() ? processes_[index].log : std::filesystem::path();
}

std::string DnsSandbox::logTail(std::size_t index, std::size_t max_bytes) const {
  if (index >= processes_.size()) return {};
  std::string log = readFile(processes_[index].log);
  if (log.size() > max_bytes) log = log.substr(log.size() - max_bytes);
  return log;
}

Result<void> DnsSandbox::launch(std::size_t index, StartMode mode) {
  auto& process = processes_[index];
  if (index == 0) mode = StartMode::CatchUp;
  if (index > 0) {
    if (auto written = writeSecondary(index, mode == StartMode::CutOff); !written) return written;
  }
  process.cut_off = mode == StartMode::CutOff;
  // -g: foreground, log to stderr (our log file); -n 1: one worker thread is plenty.
  auto child =
      ChildProcess::spawn(named_, {"-g", "-n", "1", "-c", process.config.string()}, process.log);
  if (!child) return fail(child.error().withContext("starting named for " + servers_[index].name));
  process.child = std::move(*child);
  auto serving =
      waitUntilServing(index, mode, std::chrono::steady_clock::now() + options_.ready_timeout);
  if (!serving) {
    port_taken_ = logSaysPortTaken(logTail(index, 1U << 16U));
    process.child.stop();
    return serving;
  }
  return {};
}

Result<void> DnsSandbox::waitUntilServing(std::size_t index, StartMode mode,
                                          std::chrono::steady_clock::time_point deadline) const {
  auto query = quickQuery();
  const auto& server = servers_[index];
  const std::string who = server.name + " (" + server.endpoint.toString() + ")";
  auto next_nudge = std::chrono::steady_clock::now() + kNudgeInterval;
  std::string last_state = "no answer yet";
  for (;;) {
    if (!processes_[index].child.running())
      return fail(
          withLog(index, ErrorKind::Transient, "named for " + who + " exited during start"));
    auto dnskey = query.query(server.endpoint, zone_, DnsType::DNSKEY);
    auto soa = query.query(server.endpoint, zone_, DnsType::SOA);
    if (dnskey && soa && soa->authoritative && soa->answer_soa) {
      const bool is_signed =
          dnskey->isSigned(zone_, DnsType::DNSKEY) && soa->isSigned(zone_, DnsType::SOA);
      last_state = std::string(is_signed ? "signed" : "not yet signed") + ", serial " +
                   std::to_string(soa->answer_soa->serial);
      if (is_signed && (server.is_primary || mode == StartMode::CutOff)) return {};
      if (is_signed) {
        auto wanted = serialAt(0);
        if (wanted && *wanted == soa->answer_soa->serial) return {};
        if (wanted) last_state += " (the primary serves " + std::to_string(*wanted) + ")";
        // Restarted from its zone copy, a secondary would wait up to the SOA refresh interval:
        // the primary's NOTIFY for the change went out while it was down.
        if (std::chrono::steady_clock::now() >= next_nudge) {
          [[maybe_unused]] auto sent = notify(index);
          next_nudge = std::chrono::steady_clock::now() + kNudgeInterval;
        }
      }
    } else if (soa) {
      last_state = "answers " + ports::rcodeName(soa->rcode) + " without the zone's SOA";
    } else if (logSaysPortTaken(logTail(index, 1U << 16U))) {
      // named keeps running without the socket it could not bind: fail now, not at the deadline.
      return fail(withLog(index, ErrorKind::Transient,
                          who + " cannot listen: the port was taken by another program"));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(withLog(
          index, ErrorKind::Transient,
          who + " did not serve the signed zone " + zone_ +
              (server.is_primary || mode == StartMode::CutOff ? "" : " with the primary's serial") +
              " in time (" + last_state + ")"));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

Result<void> DnsSandbox::exportTrustAnchor() {
  auto query = quickQuery();
  auto answer = query.query(primary().endpoint, zone_, DnsType::DNSKEY);
  if (!answer) return fail(answer.error().withContext("reading the sandbox zone's DNSKEY"));
  std::string dnskeys;
  std::string ds;
  for (const auto& record : answer->recordsOf(zone_, DnsType::DNSKEY)) {
    // Flags 257 (Zone Key + Secure Entry Point): the CSK, the key a parent's DS points at.
    if (record.rdata.size() < 4 || record.rdata[0] != 0x01 || record.rdata[1] != 0x01) continue;
    dnskeys +=
        zone_ + "\t" + std::to_string(record.ttl) + "\tIN\tDNSKEY\t" + record.rdata_text + "\n";
    Bytes covered = wireName(zone_);
    covered.insert(covered.end(), record.rdata.begin(), record.rdata.end());
    ds += zone_ + " IN DS " + std::to_string(keyTag(record.rdata)) + " " +
          std::to_string(record.rdata[3]) + " 2 " + upper(toHex(sha256(covered))) + "\n";
  }
  if (dnskeys.empty())
    return fail(withLog(0, ErrorKind::Internal,
                        "the signed sandbox zone " + zone_ + " has no DNSKEY with flags 257"));
  anchor_dnskey_ = directory_ / "trust-anchor.dnskey";
  anchor_ds_ = directory_ / "trust-anchor.ds";
  if (auto written = writeFile(anchor_dnskey_, dnskeys); !written) return written;
  return writeFile(anchor_ds_, ds);
}

Result<void> DnsSandbox::stopServer(std::size_t index) {
  if (auto valid = checkIndex(index); !valid) return valid;
  processes_[index].child.stop();
  return {};
}

Result<void> DnsSandbox::startServer(std::size_t index, StartMode mode) {
  if (auto valid = checkIndex(index); !valid) return valid;
  if (index == 0) mode = StartMode::CatchUp;
  auto& process = processes_[index];
  if (isRunning(index) && process.cut_off == (mode == StartMode::CutOff)) {
    return waitUntilServing(index, mode, std::chrono::steady_clock::now() + options_.ready_timeout);
  }
  // A secondary's primary is fixed in its configuration: changing mode means a restart. It
  // keeps its zone copy across the restart.
  process.child.stop();
  return launch(index, mode);
}

bool DnsSandbox::isRunning(std::size_t index) const {
  return index < processes_.size() && processes_[index].child.running();
}

bool DnsSandbox::isCutOff(std::size_t index) const {
  return index < processes_.size() && processes_[index].cut_off;
}

Result<void> DnsSandbox::notify(std::size_t index) const {
  if (auto valid = checkIndex(index); !valid) return valid;
  // Header (RFC 1035 §4.1.1, RFC 1996 §3): random ID, opcode NOTIFY (4), AA, one question.
  std::uint8_t id[2] = {0, 0};
  RAND_bytes(id, sizeof id);
  Bytes message{id[0], id[1], 0x24, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  const Bytes name = wireName(zone_);
  message.insert(message.end(), name.begin(), name.end());
  message.insert(message.end(), {0, 6, 0, 1});  // SOA, IN

  const auto& endpoint = servers_[index].endpoint;
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (isIpv6(endpoint.host)) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(endpoint.port);
    inet_pton(AF_INET6, endpoint.host.c_str(), &in6->sin6_addr);
    length = sizeof *in6;
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(endpoint.port);
    inet_pton(AF_INET, endpoint.host.c_str(), &in4->sin_addr);
    length = sizeof *in4;
  }
  UniqueFd socket_fd(::socket(storage.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!socket_fd || ::sendto(socket_fd.get(), message.data(), message.size(), 0,
                             reinterpret_cast<const sockaddr*>(&storage), length) < 0) {
    return fail(ErrorKind::Transient, "cannot send a NOTIFY to " + endpoint.toString() + ": " +
                                          std::generic_category().message(errno));
  }
  // The reply is not needed: the serial the server then serves is what callers check.
  return {};
}

Result<std::uint32_t> DnsSandbox::serialAt(std::size_t index) const {
  if (auto valid = checkIndex(index); !valid) return fail(valid.error());
  // Patient, unlike the polling loops: a single lost datagram must not read as an error.
  adapters::dns::LdnsDnsQuery query(adapters::dns::TransportOptions{1000ms, 2, 4});
  auto answer = query.query(servers_[index].endpoint, zone_, DnsType::SOA);
  if (!answer) return fail(answer.error());
  if (!answer->answer_soa) {
    return fail(ErrorKind::Transient, servers_[index].name + " (" +
                                          servers_[index].endpoint.toString() + ") answered " +
                                          ports::rcodeName(answer->rcode) + " without an SOA");
  }
  return answer->answer_soa->serial;
}

Result<void> DnsSandbox::waitUntilInSync(std::size_t index,
                                         std::chrono::milliseconds timeout) const {
  if (auto valid = checkIndex(index); !valid) return valid;
  if (index == 0) return {};
  if (!isRunning(index))
    return fail(ErrorKind::Transient, servers_[index].name + " is stopped; start it first");
  if (isCutOff(index)) {
    return fail(ErrorKind::Transient, servers_[index].name +
                                          " is cut off from the primary (StartMode::CutOff); "
                                          "startServer(index, StartMode::CatchUp) reconnects it");
  }
  return waitUntilServing(index, StartMode::CatchUp, std::chrono::steady_clock::now() + timeout);
}

Result<void> DnsSandbox::waitUntilInSync(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (std::size_t i = 1; i < processes_.size(); ++i) {
    if (!isRunning(i) || isCutOff(i)) continue;
    if (auto synced = waitUntilServing(i, StartMode::CatchUp, deadline); !synced) return synced;
  }
  return {};
}

}  // namespace daneguard::adapters::sandbox
