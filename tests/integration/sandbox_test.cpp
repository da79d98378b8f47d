// DnsSandbox against independent tools: dig reads what the servers serve, nsupdate (bind9-utils)
// changes the zone with the sandbox's key, dnssec-dsfromkey recomputes the trust anchor. Two
// address modes: loopback on a free port, and production-like (own addresses, port 53) inside a
// network namespace made by the test.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "adapters/dns/ldns_dns_query.hpp"
#include "adapters/dns/zone_locator.hpp"
#include "adapters/sandbox/dns_sandbox.hpp"
#include "adapters/sandbox/loopback_addresses.hpp"
#include "integration/support/network_namespace.hpp"
#include "support/run_command.hpp"

namespace daneguard::adapters::sandbox {
namespace {

using namespace std::chrono_literals;
using daneguard::testing::NetworkNamespace;
using daneguard::testing::runCommand;

const std::string kOwner = "_25._tcp.mail.example.test.";
// Any 32 bytes will do: the sandbox does not interpret TLSA data.
const std::string kTlsaHex = "8f1c3b6a9d2e4f5061728394a5b6c7d8e9fa0b1c2d3e4f5061728394a5b6c7d8";

// Generous timeouts: the machine is shared, and a lost reply must not read as "no data".
// Checks that expect silence (a stopped server) use isSilent() instead.
std::vector<std::string> digLines(const ports::DnsServer& server, const std::string& name,
                                  const std::string& type,
                                  const std::string& sections = "+answer") {
  auto result = runCommand({"dig", "+norec", "+dnssec", "+time=2", "+tries=2", "+noall", sections,
                            "@" + server.host, "-p", std::to_string(server.port), name, type});
  std::vector<std::string> lines;
  std::istringstream out(result.out);
  for (std::string line; std::getline(out, line);)
    if (!line.empty() && line[0] != ';') lines.push_back(line);
  return lines;
}

/// Field `index` (0 = owner) of every answer line of `type`.
std::set<std::string> digField(const ports::DnsServer& server, const std::string& name,
                               const std::string& type, std::size_t index) {
  std::set<std::string> values;
  for (const auto& line : digLines(server, name, type)) {
    std::istringstream fields(line);
    std::vector<std::string> parts;
    for (std::string part; fields >> part;)
      parts.push_back(part);
    if (parts.size() > index && parts[3] == type) values.insert(parts[index]);
  }
  return values;
}

bool hasRrsigFor(const ports::DnsServer& server, const std::string& name, const std::string& type) {
  for (const auto& line : digLines(server, name, type))
    if (line.find("RRSIG\t" + type) != std::string::npos) return true;
  return false;
}

bool isSilent(const ports::DnsServer& server) {
  const auto result = runCommand({"dig", "+norec", "+time=1", "+tries=1", "@" + server.host, "-p",
                                  std::to_string(server.port), "example.test.", "SOA"});
  return result.out.find("status:") == std::string::npos;
}

std::optional<std::uint32_t> digSerial(const ports::DnsServer& server) {
  const auto serials = digField(server, "example.test.", "SOA", 6);
  if (serials.size() != 1) return std::nullopt;
  return static_cast<std::uint32_t>(std::stoul(*serials.begin()));
}

/// TLSA rdata as dig prints it ("3 1 1 8F1C3B6A ...") reduced to lower-case hex.
std::set<std::string> tlsaHex(const ports::DnsServer& server) {
  std::set<std::string> out;
  for (const auto& line : digLines(server, kOwner, "TLSA")) {
    const auto at = line.find("TLSA\t");
    if (at == std::string::npos) continue;
    std::string hex;
    for (char c : line.substr(at + 5 + 6))
      if (!std::isspace(static_cast<unsigned char>(c)))
        hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    out.insert(hex);
  }
  return out;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 3s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(25ms);
  }
  return condition();
}

testing::CommandResult nsupdate(const DnsSandbox& sandbox, const std::string& update_line) {
  const auto& target = sandbox.updateServer();
  return runCommand({"nsupdate", "-k", sandbox.updateKey().path.string()},
                    "server " + target.host + " " + std::to_string(target.port) + "\nzone " +
                        sandbox.zone() + "\n" + update_line + "\nsend\n");
}

std::string addTlsa() {
  return "update add " + kOwner + " 60 IN TLSA 3 1 1 " + kTlsaHex;
}

std::unique_ptr<DnsSandbox> startOrFail(DnsSandboxOptions options) {
  auto sandbox = DnsSandbox::start(std::move(options));
  EXPECT_TRUE(sandbox) << (sandbox ? "" : sandbox.error().message);
  return sandbox ? std::move(*sandbox) : nullptr;
}

std::string collapseWhitespace(const std::string& text) {
  std::istringstream words(text);
  std::string out;
  for (std::string word; words >> word;)
    out += (out.empty() ? "" : " ") + word;
  return out;
}

std::string withoutWhitespace(const std::string& text) {
  std::string out;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) out.push_back(c);
  return out;
}

/// True when `server` answers the zone's SOA with the AA flag (dig's own header line).
bool answersAuthoritatively(const ports::DnsServer& server) {
  auto result = runCommand({"dig", "+norec", "+time=2", "+tries=2", "@" + server.host, "-p",
                            std::to_string(server.port), "example.test.", "SOA"});
  std::istringstream out(result.out);
  for (std::string line; std::getline(out, line);)
    if (line.find(";; flags:") != std::string::npos) {
      const auto flags = line.substr(0, line.find(';', 3));
      return flags.find(" aa") != std::string::npos &&
             result.out.find("status: NOERROR") != std::string::npos;
    }
  return false;
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class Sandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* tool : {"named", "dig", "nsupdate"})
      if (!findProgram(tool)) GTEST_SKIP() << tool << " is not installed (bind9, bind9-dnsutils)";
  }
};

class SandboxInNamespace : public Sandbox {
 protected:
  void SetUp() override {
    Sandbox::SetUp();
    if (IsSkipped()) return;
    if (auto reason = NetworkNamespace::unavailableReason()) GTEST_SKIP() << *reason;
  }
};

TEST_F(Sandbox, PrimaryAndSecondaryComeUpSignedWithOneSerial) {
  auto sandbox = startOrFail(DnsSandboxOptions::loopback());
  ASSERT_TRUE(sandbox);
  ASSERT_EQ(sandbox->servers().size(), 2u);
  EXPECT_EQ(sandbox->zone(), "example.test.");
  for (const auto& server : sandbox->servers()) {
    EXPECT_TRUE(hasRrsigFor(server.endpoint, "example.test.", "DNSKEY")) << server.name;
    EXPECT_TRUE(hasRrsigFor(server.endpoint, "example.test.", "SOA")) << server.name;
  }
  const auto primary_serial = digSerial(sandbox->servers()[0].endpoint);
  ASSERT_TRUE(primary_serial);
  EXPECT_EQ(digSerial(sandbox->servers()[1].endpoint), primary_serial);

  struct stat key_status {};
  ASSERT_EQ(::stat(sandbox->updateKey().path.c_str(), &key_status), 0);
  EXPECT_EQ(key_status.st_mode & 0777, 0600u) << "the TSIG key file must be private";
  EXPECT_EQ(sandbox->updateKey().name, "tlsa-update-key");

  // The trust anchor: the DNSKEY as served (dig) and the DS recomputed by dnssec-dsfromkey.
  const auto served_ksk = digField(sandbox->primary().endpoint, "example.test.", "DNSKEY", 7);
  const auto anchored = readFile(sandbox->trustAnchorDnskeyPath());
  ASSERT_FALSE(served_ksk.empty());
  for (const auto& line : digLines(sandbox->primary().endpoint, "example.test.", "DNSKEY")) {
    if (line.find("DNSKEY\t257 ") == std::string::npos) continue;
    EXPECT_NE(withoutWhitespace(anchored).find(withoutWhitespace(line.substr(line.find("257 ")))),
              std::string::npos)
        << anchored;
  }
  auto ds = runCommand(
      {"dnssec-dsfromkey", "-2", "-f", sandbox->trustAnchorDnskeyPath().string(), "example.test"});
  ASSERT_EQ(ds.exit_code, 0) << ds.err;
  EXPECT_EQ(collapseWhitespace(readFile(sandbox->trustAnchorDsPath())), collapseWhitespace(ds.out));
}

TEST_F(Sandbox, NsupdateWithTheSandboxKeyReachesEveryServerThroughNotify) {
  auto sandbox = startOrFail(DnsSandboxOptions::loopback());
  ASSERT_TRUE(sandbox);
  const auto update = nsupdate(*sandbox, addTlsa());
  ASSERT_EQ(update.exit_code, 0) << update.err;
  // No nudging here: the secondary must learn of the change from the primary's own NOTIFY.
  for (const auto& server : sandbox->servers()) {
    EXPECT_TRUE(eventually([&] { return tlsaHex(server.endpoint).count(kTlsaHex) == 1; }))
        << server.name << " never served the new TLSA";
    EXPECT_TRUE(hasRrsigFor(server.endpoint, kOwner, "TLSA")) << server.name;
  }
  EXPECT_EQ(digSerial(sandbox->servers()[1].endpoint), digSerial(sandbox->primary().endpoint));

  // Least privilege: the update key may change TLSA records and nothing else.
  const auto refused = nsupdate(*sandbox, "update add www.example.test. 60 IN A 192.0.2.1");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.out.find("REFUSED") + refused.err.find("REFUSED"), 2 * std::string::npos)
      << refused.out << refused.err;
  EXPECT_TRUE(digLines(sandbox->primary().endpoint, "www.example.test.", "A").empty());
}

TEST_F(Sandbox, CutOffSecondaryLagsUntilToldToCatchUp) {
  auto sandbox = startOrFail(DnsSandboxOptions::loopback());
  ASSERT_TRUE(sandbox);
  const auto& secondary = sandbox->servers()[1].endpoint;
  ASSERT_TRUE(sandbox->stopServer(1));
  EXPECT_FALSE(sandbox->isRunning(1));
  EXPECT_TRUE(isSilent(secondary)) << "a stopped server must not answer";

  ASSERT_EQ(nsupdate(*sandbox, addTlsa()).exit_code, 0);
  const auto primary_serial = digSerial(sandbox->primary().endpoint);
  ASSERT_TRUE(primary_serial);

  ASSERT_TRUE(sandbox->startServer(1, StartMode::CutOff));
  EXPECT_TRUE(sandbox->isRunning(1));
  EXPECT_TRUE(sandbox->isCutOff(1));
  const auto lagging_serial = digSerial(secondary);
  ASSERT_TRUE(lagging_serial) << "a restarted secondary serves its old copy";
  EXPECT_LT(*lagging_serial, *primary_serial);
  EXPECT_TRUE(tlsaHex(secondary).empty());
  ASSERT_TRUE(sandbox->notify(1));  // told of the change, it still cannot fetch it
  std::this_thread::sleep_for(700ms);
  EXPECT_EQ(digSerial(secondary), lagging_serial) << "the lag must persist until released";
  EXPECT_FALSE(sandbox->waitUntilInSync(1, 100ms));

  auto synced = sandbox->startServer(1, StartMode::CatchUp);
  ASSERT_TRUE(synced) << synced.error().message;
  EXPECT_FALSE(sandbox->isCutOff(1));
  EXPECT_EQ(digSerial(secondary), primary_serial);
  EXPECT_EQ(tlsaHex(secondary), std::set<std::string>{kTlsaHex});

  // The primary can be restarted too; it keeps its keys, journal and serial.
  ASSERT_TRUE(sandbox->stopServer(0));
  EXPECT_TRUE(isSilent(sandbox->primary().endpoint));
  ASSERT_TRUE(sandbox->startServer(0));
  // Re-signing at load may bump the serial; the data must survive (zone file + journal).
  EXPECT_GE(digSerial(sandbox->primary().endpoint).value_or(0), *primary_serial);
  EXPECT_EQ(tlsaHex(sandbox->primary().endpoint), std::set<std::string>{kTlsaHex});
}

TEST_F(Sandbox, NsSetAndGlueNameTheRealListenAddresses) {
  auto sandbox = startOrFail(DnsSandboxOptions::loopback());
  ASSERT_TRUE(sandbox);
  const auto& primary = sandbox->primary().endpoint;
  EXPECT_EQ(digField(primary, "example.test.", "NS", 4),
            (std::set<std::string>{"ns1.example.test.", "ns2.example.test."}));
  EXPECT_EQ(digField(primary, "ns1.example.test.", "A", 4), std::set<std::string>{"127.0.0.1"});
  EXPECT_EQ(digField(primary, "ns2.example.test.", "AAAA", 4), std::set<std::string>{"::1"});
  for (const auto& server : sandbox->servers()) {
    EXPECT_EQ(server.endpoint.port, primary.port) << "every server on one port, as on port 53";
    EXPECT_TRUE(answersAuthoritatively(server.endpoint)) << server.name;
  }
}

TEST_F(Sandbox, DestructionStopsTheServersAndRemovesTheDirectory) {
  auto sandbox = startOrFail(DnsSandboxOptions::loopback());
  ASSERT_TRUE(sandbox);
  const auto directory = sandbox->directory();
  const auto endpoint = sandbox->primary().endpoint;
  ASSERT_TRUE(std::filesystem::exists(directory));
  sandbox.reset();
  EXPECT_FALSE(std::filesystem::exists(directory));
  EXPECT_TRUE(checkPortFree(endpoint.host, endpoint.port)) << "named still holds the port";
}

/// A crash (no destructor runs) must not leave named behind: PR_SET_PDEATHSIG.
TEST_F(Sandbox, NamedDiesWithACrashedOwner) {
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t owner = ::fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    ::close(report[0]);
    auto sandbox = DnsSandbox::start(DnsSandboxOptions::loopback(false));
    const std::string directory = sandbox ? (*sandbox)->directory().string() : "";
    [[maybe_unused]] auto written = ::write(report[1], directory.data(), directory.size());
    ::close(report[1]);
    ::raise(SIGKILL);
  }
  ::close(report[1]);
  std::string directory;
  char buffer[512];
  for (ssize_t got = 0; (got = ::read(report[0], buffer, sizeof buffer)) > 0;)
    directory.append(buffer, static_cast<std::size_t>(got));
  ::close(report[0]);
  int status = 0;
  ::waitpid(owner, &status, 0);
  ASSERT_FALSE(directory.empty()) << "the child could not start a sandbox";

  const auto named_of_directory_running = [&] {
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const auto pid_text = entry.path().filename().string();
      if (!std::all_of(pid_text.begin(), pid_text.end(), ::isdigit)) continue;
      std::ifstream cmdline(entry.path() / "cmdline");
      std::string arguments((std::istreambuf_iterator<char>(cmdline)), {});
      if (arguments.find(directory) != std::string::npos && processAlive(std::stoi(pid_text)))
        return true;
    }
    return false;
  };
  EXPECT_TRUE(eventually([&] { return !named_of_directory_running(); }))
      << "named outlived its crashed owner";
  std::filesystem::remove_all(directory);
}

TEST_F(Sandbox, AddressNotOnAnyInterfaceIsAnActionableError) {
  if (addressConfigured("127.0.0.2")) GTEST_SKIP() << "127.0.0.2 is configured on this host";
  auto options = DnsSandboxOptions::productionLike(1);
  options.port = 0;
  auto sandbox = DnsSandbox::start(options);
  ASSERT_FALSE(sandbox);
  EXPECT_EQ(sandbox.error().kind, ErrorKind::Config);
  EXPECT_NE(sandbox.error().message.find("127.0.0.2 is not configured on any interface"),
            std::string::npos)
      << sandbox.error().message;
  EXPECT_NE(sandbox.error().message.find("ip netns add"), std::string::npos);
}

TEST_F(Sandbox, PortInUseIsAConfigErrorNamingIt) {
  auto first = startOrFail(DnsSandboxOptions::loopback(false));
  ASSERT_TRUE(first);
  auto options = DnsSandboxOptions::loopback(false);
  options.port = first->primary().endpoint.port;
  auto second = DnsSandbox::start(options);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, ErrorKind::Config);
  EXPECT_NE(second.error().message.find(first->primary().endpoint.toString()), std::string::npos)
      << second.error().message;
}

TEST_F(SandboxInNamespace, ProductionLikeServersOnPort53AtTheirOwnAddresses) {
  auto options = DnsSandboxOptions::productionLike(1);
  auto network = NetworkNamespace::enterPrivate(options.addresses());
  auto sandbox = startOrFail(options);
  ASSERT_TRUE(sandbox);
  ASSERT_EQ(sandbox->servers().size(), 2u);
  EXPECT_EQ(sandbox->servers()[0].endpoint, (ports::DnsServer{"127.0.0.2", 53}));
  EXPECT_EQ(sandbox->servers()[1].endpoint, (ports::DnsServer{"127.0.0.3", 53}));

  auto soa = runCommand(
      {"dig", "@127.0.0.3", "-p", "53", "example.test.", "SOA", "+norec", "+time=2", "+tries=2"});
  ASSERT_EQ(soa.exit_code, 0) << soa.err;
  EXPECT_NE(soa.out.find("status: NOERROR"), std::string::npos) << soa.out;
  EXPECT_NE(soa.out.find("flags: qr aa"), std::string::npos) << soa.out;

  const ports::DnsServer ns1{"127.0.0.2", 53};
  EXPECT_EQ(digField(ns1, "example.test.", "NS", 4),
            (std::set<std::string>{"ns1.example.test.", "ns2.example.test."}));
  EXPECT_EQ(digField(ns1, "ns1.example.test.", "A", 4), std::set<std::string>{"127.0.0.2"});
  EXPECT_EQ(digField(ns1, "ns2.example.test.", "A", 4), std::set<std::string>{"127.0.0.3"});

  // daneguard's own discovery, unchanged (port 53, as in production), finds exactly these.
  dns::LdnsDnsQuery query(dns::TransportOptions{1000ms, 2, 8});
  dns::QueryingZoneLocator locator(query, dns::ZoneLocatorOptions{ns1, {}, {}, 53});
  auto found = locator.authoritativeAddresses("example.test.");
  ASSERT_TRUE(found) << found.error().message;
  std::set<std::string> labels;
  for (const auto& server : *found)
    labels.insert(server.label());
  EXPECT_EQ(labels, (std::set<std::string>{"ns1.example.test. (127.0.0.2:53)",
                                           "ns2.example.test. (127.0.0.3:53)"}));

  ASSERT_EQ(nsupdate(*sandbox, addTlsa()).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return tlsaHex({"127.0.0.3", 53}).count(kTlsaHex) == 1; }));
}

TEST_F(SandboxInNamespace, NamedNamespaceWithTwoSecondariesIsRemovedAfterwards) {
  const std::string name = "daneguard-sandbox-test-" + std::to_string(::getpid());
  auto options = DnsSandboxOptions::productionLike(2);
  {
    auto network = NetworkNamespace::enterNamed(name, options.addresses());
    auto sandbox = startOrFail(options);
    ASSERT_TRUE(sandbox);
    ASSERT_EQ(sandbox->servers().size(), 3u);
    EXPECT_EQ(digField({"127.0.0.2", 53}, "ns3.example.test.", "A", 4),
              std::set<std::string>{"127.0.0.4"});
    ASSERT_EQ(nsupdate(*sandbox, addTlsa()).exit_code, 0);
    for (const auto& server : sandbox->servers())
      EXPECT_TRUE(eventually([&] { return tlsaHex(server.endpoint).count(kTlsaHex) == 1; }))
          << server.name;
    auto listed = runCommand({"ip", "netns", "list"});
    EXPECT_NE(listed.out.find(name), std::string::npos);
  }
  EXPECT_EQ(runCommand({"ip", "netns", "list"}).out.find(name), std::string::npos);
  EXPECT_FALSE(addressConfigured("127.0.0.2")) << "the test must be back in its own namespace";
}

}  // namespace
}  // namespace daneguard::adapters::sandbox
