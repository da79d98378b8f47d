#include "integration/publishers/zonefile_bind.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "adapters/sandbox/loopback_addresses.hpp"
#include "support/run_command.hpp"

namespace daneguard::testing {
namespace {

namespace fs = std::filesystem;

void writeText(const fs::path& path, const std::string& text, fs::perms mode = fs::perms(0644)) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
  fs::permissions(path, mode);
}

std::string mustRun(const std::vector<std::string>& argv) {
  const CommandResult result = runCommand(argv);
  if (result.exit_code != 0)
    throw std::runtime_error(argv.front() + " failed: " + result.out + result.err);
  return result.out;
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string word; in >> word;)
    out.push_back(word);
  return out;
}

std::string lowered(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

std::optional<std::string> ZoneFileBind::unavailableReason() {
  for (const char* tool : {"named", "rndc", "tsig-keygen", "dig", "openssl"})
    if (!adapters::sandbox::findProgram(tool))
      return std::string(tool) + " is not installed (bind9, bind9-utils, bind9-dnsutils)";
  return std::nullopt;
}

ZoneFileBind::ZoneFileBind(ExampleZone example) {
  auto port = adapters::sandbox::findFreePort({"127.0.0.1"});
  auto control = adapters::sandbox::findFreePort({"127.0.0.1"});
  if (!port || !control) throw std::runtime_error("no free port");
  port_ = *port;
  control_port_ = *control;
  if (control_port_ == port_) control_port_ = static_cast<std::uint16_t>(port_ + 1);
  writeFiles(example);
  auto named = adapters::sandbox::findProgram("named");
  auto started = adapters::sandbox::ChildProcess::spawn(
      *named, {"-g", "-c", (dir_.path() / "named.conf").string()}, dir_.path() / "named.log");
  if (!started) throw std::runtime_error("named: " + started.error().message);
  named_ = std::move(*started);
  waitUntilSigned(std::chrono::seconds(20));
}

ZoneFileBind::~ZoneFileBind() {
  named_.stop();
}

void ZoneFileBind::writeFiles(ExampleZone example) {
  const fs::path dir = dir_.path();
  const std::string d = dir.string();
  writeText(dir / "rndc.key", mustRun({"tsig-keygen", "-a", "hmac-sha256", "rndc-key"}),
            fs::perms(0600));
  writeText(tlsaKeyFile(), mustRun({"tsig-keygen", "-a", "hmac-sha256", "tlsa-key"}),
            fs::perms(0600));
  writeText(otherKeyFile(), mustRun({"tsig-keygen", "-a", "hmac-sha256", "other-key"}),
            fs::perms(0600));
  writeText(wrongSecretKeyFile(), mustRun({"tsig-keygen", "-a", "hmac-sha256", "tlsa-key"}),
            fs::perms(0600));
  writeText(dir / "rndc.conf", "include \"" + d +
                                   "/rndc.key\";\noptions { default-key \"rndc-key\"; "
                                   "default-server 127.0.0.1; default-port " +
                                   std::to_string(control_port_) + "; };\n");
  const std::string port = std::to_string(port_);
  writeText(dir / "named.conf",
            "include \"" + d + "/rndc.key\";\ninclude \"" + tlsaKeyFile().string() +
                "\";\ninclude \"" + otherKeyFile().string() +
                "\";\n"
                "controls { inet 127.0.0.1 port " +
                std::to_string(control_port_) +
                " allow { 127.0.0.1; } keys { \"rndc-key\"; }; };\n"
                "options {\n  directory \"" +
                d + "\";\n  listen-on port " + port +
                " { 127.0.0.1; };\n  listen-on-v6 { none; };\n  recursion no;\n"
                "  dnssec-validation no;\n  pid-file none;\n  notify no;\n};\n"
                "zone \"example.test\" {\n  type primary;\n  file \"" +
                d + "/example.test.zone\";\n  dnssec-policy default;\n" +
                (example == ExampleZone::IncludeFile
                     ? std::string("  inline-signing yes;\n")
                     : std::string("  inline-signing no;\n  update-policy { grant tlsa-key "
                                   "wildcard *._tcp.mail.example.test. TLSA; };\n")) +
                "};\n"
                "zone \"dyn.test\" {\n  type primary;\n  file \"" +
                d +
                "/dyn.test.zone\";\n  dnssec-policy default;\n  inline-signing no;\n"
                "  update-policy { grant tlsa-key wildcard *._tcp.mail.dyn.test. TLSA; };\n};\n");
  // SOA TTL 3 and MINIMUM 3: negative answers are cached for 3 s, so rollovers take seconds.
  const std::string soa =
      "@ 3 IN SOA ns1 hostmaster (\n        1 ; serial\n        60 60 600 3 )\n";
  writeText(
      dir / "example.test.zone",
      "$TTL 60\n" + soa + "@ NS ns1\nns1 A 127.0.0.1\nmail A 127.0.0.1\n" +
          (example == ExampleZone::IncludeFile ? "$INCLUDE \"" + includeFile().string() + "\"\n"
                                               : std::string()));
  writeText(dir / "dyn.test.zone", "$TTL 60\n" + soa + "@ NS ns1\nns1 A 127.0.0.1\n");
  writeText(includeFile(), "");  // created empty, so the zone loads before daneguard runs
  // The operator's reload command of docs/publishers.md: raise the serial, then reload.
  writeText(reloadScript(),
            "#!/bin/sh\nset -e\nzone_file=" + d +
                "/example.test.zone\n"
                "awk '/; serial$/ { sub(/[0-9]+/, $1 + 1) } { print }' \"$zone_file\" > "
                "\"$zone_file.new\"\n"
                "mv \"$zone_file.new\" \"$zone_file\"\n"
                "exec rndc -c " +
                d + "/rndc.conf reload example.test\n",
            fs::perms(0755));
}

void ZoneFileBind::waitUntilSigned(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const CommandResult signed_keys =
        runCommand({"dig", "+norec", "+dnssec", "+time=1", "+tries=1", "+noall", "+answer",
                    "@127.0.0.1", "-p", std::to_string(port_), "example.test.", "DNSKEY"});
    const CommandResult dynamic =
        runCommand({"dig", "+norec", "+dnssec", "+time=1", "+tries=1", "+noall", "+answer",
                    "@127.0.0.1", "-p", std::to_string(port_), "dyn.test.", "DNSKEY"});
    if (signed_keys.out.find("RRSIG") != std::string::npos &&
        dynamic.out.find("RRSIG") != std::string::npos)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  throw std::runtime_error("BIND did not serve the signed zone in time:\n" + log());
}

std::optional<std::multiset<std::string>> ZoneFileBind::servedTlsa(const std::string& owner,
                                                                   bool* signed_rrset) const {
  const CommandResult result =
      runCommand({"dig", "+norec", "+dnssec", "+time=1", "+tries=2", "+noall", "+answer",
                  "+nomultiline", "@127.0.0.1", "-p", std::to_string(port_), owner, "TLSA"});
  if (result.exit_code != 0) return std::nullopt;
  std::multiset<std::string> records;
  bool signature = false;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    const std::vector<std::string> fields = words(line);
    if (fields.size() >= 5 && fields[3] == "RRSIG" && fields[4] == "TLSA") signature = true;
    if (fields.size() < 8 || fields[3] != "TLSA") continue;
    std::string data;
    for (std::size_t i = 7; i < fields.size(); ++i)
      data += fields[i];
    records.insert(fields[4] + " " + fields[5] + " " + fields[6] + " " + lowered(data));
  }
  if (signed_rrset != nullptr) *signed_rrset = signature;
  return records;
}

std::string ZoneFileBind::log() const {
  return readTextFile(dir_.path() / "named.log");
}

}  // namespace daneguard::testing
