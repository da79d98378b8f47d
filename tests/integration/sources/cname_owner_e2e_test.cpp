// A CNAME'd TLSA owner end to end (RFC 7672 §2.2.3 / dane-rules.md): `_25._tcp.mail.example.test`
// is a CNAME to `_dane.example.test` on a DNSSEC-signed BIND primary and secondary
// in a private network namespace (the zone file holds the CNAME: the least-privilege update key
// of the sandbox may only change TLSA records), and the real daneguard binary must publish at the
// target, wait for the CNAME's TTL on top of the RRset's, deploy, and retire at the target, never
// touching the alias. What DNS serves is read with `dig +norec`; the hook records when it ran.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/sandbox/dns_sandbox.hpp"
#include "integration/support/e2e_world.hpp"
#include "integration/support/network_namespace.hpp"

namespace daneguard::testing {
namespace {

using namespace std::chrono_literals;
using Records = std::multiset<std::string>;

const std::string kTarget = "_dane.example.test.";

const std::string kAlias = "_25._tcp.mail.example.test.";

void writeFile(const std::filesystem::path& path, const std::string& content) {
  const std::filesystem::path temporary = path.string() + ".new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
  }
  std::filesystem::rename(temporary, path);
}

std::string readWhole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Like E2eWorld (support/e2e_world.hpp), with the CNAME in the zone file: BIND primary
/// 127.0.0.2 and secondary 127.0.0.3 on port 53, record TTL 2 s, negative TTL min(60, 3) = 3 s.
class CnameWorld {
 public:
  CnameWorld() {
    auto options = adapters::sandbox::DnsSandboxOptions::productionLike(1);
    network_.emplace(NetworkNamespace::enterPrivate(options.addresses()));
    options.default_ttl = 60;
    options.soa_ttl = 3;
    options.soa_minimum = 60;
    options.extra_records = "_25._tcp.mail 4 CNAME _dane\n";
    options.ready_timeout = std::chrono::seconds(20);
    auto started = adapters::sandbox::DnsSandbox::start(std::move(options));
    if (!started) throw std::runtime_error("sandbox: " + started.error().message);
    sandbox_ = std::move(*started);
    pki_.emplace(dir_.path() / "pki");
    std::filesystem::create_directories(dir_.path() / "hook");
    writeFile(hookPath(),
              "#!/bin/sh\n"
              "echo \"$(date +%s.%N)|$(openssl x509 -in \"$DANEGUARD_CERT_FILE\" -noout "
              "-fingerprint -sha256)\" >> " +
                  (dir_.path() / "hook" / "calls").string() + "\n");
    std::filesystem::permissions(hookPath(), std::filesystem::perms::owner_all);
    writeFile(configPath(),
              "state_dir = \"" + (dir_.path() / "state").string() +
                  "\"\n[rollover]\npoll_interval = \"1s\"\nmargin = \"1s\"\n"
                  "[publishers.primary]\ntype = \"rfc2136\"\nserver = \"" +
                  sandbox_->updateServer().host + "\"\ntsig_key_file = \"" +
                  sandbox_->updateKey().path.string() +
                  "\"\n[[services]]\nname = \"mail\"\nhosts = [\"mail.example.test\"]\n"
                  "ports = [25]\nttl = 2\npublisher = \"primary\"\n"
                  "[services.certificate]\ntype = \"pem\"\npath = \"" +
                  bundlePath().string() +
                  "\"\n[services.deploy]\ntype = \"hook\"\n"
                  "command = [\"" +
                  hookPath().string() +
                  "\"]\ntimeout = \"20s\"\n[services.probe]\nenabled = false\n");
  }
  ~CnameWorld() { sandbox_.reset(); }  // named first, inside the namespace it listens in
  CnameWorld(const CnameWorld&) = delete;
  CnameWorld& operator=(const CnameWorld&) = delete;

  adapters::sandbox::DnsSandbox& sandbox() { return *sandbox_; }
  E2ePki& pki() { return *pki_; }
  std::filesystem::path hookPath() const { return dir_.path() / "hook" / "deploy"; }
  std::filesystem::path configPath() const { return dir_.path() / "daneguard.toml"; }
  std::filesystem::path bundlePath() const { return dir_.path() / "mail.pem"; }
  void installCertificate(const E2eCertificate& certificate) {
    writeFile(bundlePath(), readWhole(certificate.bundle));
  }

  CommandResult daneguard(const std::string& command, const std::vector<std::string>& arguments) {
    std::vector<std::string> argv = withoutDaneguardEnvironment();
    argv.insert(argv.end(), {DANEGUARD_BINARY, command, "-c", configPath().string(), "--state-dir",
                             (dir_.path() / "state").string(), "--poll-interval", "1", "--margin",
                             "1", "--cache-factor", "1"});
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return runCommand(argv);
  }

  /// (time, fingerprint) of every hook run.
  std::vector<std::pair<double, std::string>> hookCalls() const {
    std::vector<std::pair<double, std::string>> calls;
    std::istringstream lines(readWhole(dir_.path() / "hook" / "calls"));
    for (std::string line; std::getline(lines, line);) {
      const auto bar = line.find('|');
      calls.emplace_back(std::stod(line.substr(0, bar)), line.substr(bar + 1));
    }
    return calls;
  }

 private:
  std::optional<NetworkNamespace> network_;
  TempDir dir_;
  std::unique_ptr<adapters::sandbox::DnsSandbox> sandbox_;
  std::optional<E2ePki> pki_;
};

std::string both(const CommandResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\n--- stdout\n" + result.out +
         "--- stderr\n" + result.err;
}

/// The answer section of `dig +norec name type` at server `index`, one record per line.
std::vector<std::vector<std::string>> dig(CnameWorld& world, std::size_t index,
                                          const std::string& name, const std::string& type) {
  const auto& server = world.sandbox().servers().at(index).endpoint;
  const CommandResult result =
      runCommand({"dig", "+norec", "+time=1", "+tries=2", "+noall", "+answer", "+nomultiline",
                  "@" + server.host, "-p", std::to_string(server.port), name, type});
  std::vector<std::vector<std::string>> records;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream in(line);
    std::vector<std::string> fields;
    for (std::string word; in >> word;)
      fields.push_back(word);
    if (fields.size() >= 5) records.push_back(fields);
  }
  return records;
}

/// TLSA records owned by `name` itself ("3 1 1 hex"), CNAME-following answers excluded.
Records tlsaAt(CnameWorld& world, std::size_t index, const std::string& name) {
  Records out;
  for (const auto& fields : dig(world, index, name, "TLSA")) {
    if (fields[0] != name || fields[3] != "TLSA" || fields.size() < 8) continue;
    std::string data;
    for (std::size_t i = 7; i < fields.size(); ++i)
      data += fields[i];
    for (char& c : data)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.insert(fields[4] + " " + fields[5] + " " + fields[6] + " " + data);
  }
  return out;
}

bool everyServer(CnameWorld& world, const std::function<bool(std::size_t)>& holds) {
  for (std::size_t i = 0; i < world.sandbox().servers().size(); ++i)
    if (!holds(i)) return false;
  return true;
}

bool aliasIsOnlyTheCname(CnameWorld& world, std::size_t index) {
  const auto records = dig(world, index, kAlias, "CNAME");
  return records.size() == 1 && records[0][3] == "CNAME" && records[0][4] == kTarget &&
         tlsaAt(world, index, kAlias).empty();
}

TEST(CnameOwnerE2e, PublishesAtTheTargetWaitsForBothTtlsAndRetiresThere) {
  if (auto reason = E2eWorld::unavailableReason()) GTEST_SKIP() << *reason;
  CnameWorld world;
  ASSERT_TRUE(pollUntil(
      [&] {
        return everyServer(world, [&](std::size_t i) { return aliasIsOnlyTheCname(world, i); });
      },
      10s));

  // First enablement: negative TTL 3 s + CNAME TTL 4 s, x 1 + 1 s margin = 8 s at least.
  const E2eCertificate a = world.pki().issue("a");
  world.installCertificate(a);
  const double started = wallClockNow();
  CommandResult run = world.daneguard("run", {});
  ASSERT_EQ(run.exit_code, 0) << both(run);
  EXPECT_NE(run.out.find("published 3 1 1 " + a.shortData() + "... at " + kTarget),
            std::string::npos)
      << both(run);
  ASSERT_TRUE(pollUntil(
      [&] {
        return everyServer(world,
                           [&](std::size_t i) { return tlsaAt(world, i, kTarget).size() == 1; });
      },
      10s));
  const CommandResult plan = world.daneguard("plan", {});
  EXPECT_NE(plan.out.find("+ CNAME TTL (" + kAlias + ") 4 s"), std::string::npos) << both(plan);
  run = world.daneguard("run", {"--wait"});
  ASSERT_EQ(run.exit_code, 0) << both(run);
  auto calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].second, a.fingerprint);
  EXPECT_GE(calls[0].first - started, 8.0) << "the CNAME's TTL was not waited for";
  EXPECT_TRUE(everyServer(world, [&](std::size_t i) {
    return tlsaAt(world, i, kTarget) == Records{a.tlsa()} && aliasIsOnlyTheCname(world, i);
  }));

  // Renewal with a new key: old RRset TTL 2 s + CNAME 4 s, x 1 + 1 s; retired at the target.
  const E2eCertificate b = world.pki().issue("b");
  world.installCertificate(b);
  const double renewed = wallClockNow();
  run = world.daneguard("run", {"--wait"});
  ASSERT_EQ(run.exit_code, 0) << both(run);
  calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].second, b.fingerprint);
  EXPECT_GE(calls[1].first - renewed, 7.0);
  EXPECT_NE(run.out.find("retired 3 1 1 " + a.shortData() + "... at " + kTarget), std::string::npos)
      << both(run);
  EXPECT_TRUE(pollUntil(
      [&] {
        return everyServer(world, [&](std::size_t i) {
          return tlsaAt(world, i, kTarget) == Records{b.tlsa()} && aliasIsOnlyTheCname(world, i);
        });
      },
      10s));
}

}  // namespace
}  // namespace daneguard::testing
