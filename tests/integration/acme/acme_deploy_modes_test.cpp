// The `symlinks` and `install` deploy modes with a real certbot lineage issued by Pebble and the
// real daneguard binary: a renewal with a new key (certbot's default) is published next to the
// old record at once, but the links (or the installed set) move to the new key only after the
// cache window, and the old record is retired last. A reload command records what a server
// reloading at that instant would see; the openssl and readlink CLIs are the oracles for which
// files are in place and whether key and certificate match.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "integration/acme/acme_world.hpp"
#include "integration/support/e2e_world.hpp"  // pollUntil, wallClockNow

namespace daneguard::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kCacheFactor = 2;  // cache window = 2 x TTL 2 s + margin 1 s

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string both(const CommandResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\n--- stdout\n" + result.out +
         "--- stderr\n" + result.err;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

/// daneguard's certificate id (cli.md): SHA-256 of the DER leaf, here computed by openssl.
std::string certificateId(const fs::path& pem) {
  const fs::path der = pem.string() + ".id.der";
  const CommandResult converted =
      runCommand({"openssl", "x509", "-in", pem.string(), "-outform", "DER", "-out", der.string()});
  EXPECT_EQ(converted.exit_code, 0) << both(converted);
  const CommandResult digest = runCommand({"openssl", "dgst", "-sha256", "-r", der.string()});
  fs::remove(der);
  return digest.out.substr(0, 64);
}

/// True when openssl finds the same public key in the certificate and the private key files.
bool keyMatchesCertificate(const fs::path& certificate, const fs::path& key) {
  const CommandResult cert_pub =
      runCommand({"openssl", "x509", "-in", certificate.string(), "-noout", "-pubkey"});
  const CommandResult key_pub = runCommand({"openssl", "pkey", "-in", key.string(), "-pubout"});
  return cert_pub.exit_code == 0 && key_pub.exit_code == 0 && !cert_pub.out.empty() &&
         cert_pub.out == key_pub.out;
}

/// `readlink` (one level, as written) and `readlink -f` (fully resolved), from the coreutils CLI.
std::string readlinkRaw(const fs::path& link) {
  return trimmed(runCommand({"readlink", link.string()}).out);
}
std::string readlinkResolved(const fs::path& link) {
  return trimmed(runCommand({"readlink", "-f", link.string()}).out);
}

/// One run of the reload command, as it recorded what the server would load at that instant.
struct ReloadCall {
  double time = 0;
  std::string certificate;  // readlink -f of the directory's cert.pem
  std::string key;          // readlink -f of its privkey.pem
  std::string fingerprint;  // of cert.pem
  bool key_matches = false;
};

/// The directory (DANEGUARD_DANE_DIR or DANEGUARD_INSTALL_DIR) records one line per reload.
class RecordingReload {
 public:
  explicit RecordingReload(const fs::path& directory)
      : script_(directory / "hook" / "reload-mail"), log_(directory / "hook" / "reloads") {
    fs::create_directories(script_.parent_path());
    std::ofstream out(script_, std::ios::trunc);
    out << "#!/bin/sh\n"
           "# Reload command of the deploy mode tests: records what a reloading server loads.\n"
           "dir=\"${DANEGUARD_DANE_DIR:-$DANEGUARD_INSTALL_DIR}\"\n"
           "started=$(date +%s.%N)\n"
           "cert=$(readlink -f \"$dir/cert.pem\")\n"
           "key=$(readlink -f \"$dir/privkey.pem\")\n"
           "fp=$(openssl x509 -in \"$dir/cert.pem\" -noout -fingerprint -sha256)\n"
           "cert_pub=$(openssl x509 -in \"$dir/cert.pem\" -noout -pubkey)\n"
           "key_pub=$(openssl pkey -in \"$dir/privkey.pem\" -pubout)\n"
           "match=no\n"
           "if [ -n \"$cert_pub\" ] && [ \"$cert_pub\" = \"$key_pub\" ]; then match=yes; fi\n"
           "echo \"$started|$cert|$key|$fp|$match\" >> "
        << log_.string() << "\n";
    out.close();
    fs::permissions(script_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                 fs::perms::others_read | fs::perms::others_exec);
  }

  [[nodiscard]] std::string tomlCommand() const {
    return "reload = [[\"" + script_.string() + "\"]]\nreload_timeout = \"20s\"\n";
  }

  [[nodiscard]] std::vector<ReloadCall> calls() const {
    std::vector<ReloadCall> calls;
    std::istringstream lines(readTextFile(log_));
    for (std::string line; std::getline(lines, line);) {
      std::vector<std::string> fields;
      std::istringstream parts(line);
      for (std::string field; std::getline(parts, field, '|');)
        fields.push_back(field);
      if (fields.size() != 5) {
        ADD_FAILURE() << "malformed reload record: " << line;
        continue;
      }
      calls.push_back(
          ReloadCall{std::stod(fields[0]), fields[1], fields[2], fields[3], fields[4] == "yes"});
    }
    return calls;
  }

 private:
  fs::path script_;
  fs::path log_;
};

/// One service of `daneguard status --json`.
struct ServiceStatus {
  std::string phase;
  std::string deployed_id;
  std::string candidate_id;
};

std::optional<ServiceStatus> serviceStatus(AcmeWorld& world) {
  const CommandResult status = world.daneguard("status", {"--json"}, kCacheFactor);
  const auto document = nlohmann::json::parse(status.out, nullptr, false);
  if (document.is_discarded() || !document.contains("services") ||
      document["services"].size() != 1) {
    ADD_FAILURE() << "status --json: " << both(status);
    return std::nullopt;
  }
  const auto& service = document["services"][0];
  const auto text = [&](const char* key) {
    return service.contains(key) && service[key].is_string() ? service[key].get<std::string>()
                                                             : std::string();
  };
  return ServiceStatus{text("phase"), text("deployed_id"), text("candidate_id")};
}

/// True when daneguard's (possibly shortened) id names the certificate openssl identified.
bool sameId(const std::string& shown, const std::string& expected) {
  return shown.size() >= 16 && expected.rfind(shown, 0) == 0;
}

class AcmeDeployModes : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = AcmeWorld::unavailableReason()) GTEST_SKIP() << *reason;
    started_ = std::chrono::steady_clock::now();
  }
  void TearDown() override {
    if (IsSkipped()) return;
    std::printf("[ acme time ] %s: %.1f s\n",
                ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  }

  /// certbot's archive file `<stem><version>.pem` of the test lineage, fully resolved.
  static std::string archiveFile(AcmeWorld& world, const std::string& stem, int version) {
    return fs::canonical(world.certbotConfigDir() / "archive" / kAcmeHost /
                         (stem + std::to_string(version) + ".pem"))
        .string();
  }

  std::chrono::steady_clock::time_point started_;
};

TEST_F(AcmeDeployModes, CertbotRenewalSwitchesTheDaneDirectoryLinksOnlyAfterTheCacheWindow) {
  AcmeWorld world;
  const fs::path dane = world.directory() / "dane";
  fs::create_directories(dane);
  const fs::path links = dane / kAcmeHost;
  const RecordingReload reload(world.directory());
  world.useCertbotSource("type = \"symlinks\"\ndirectory = \"" + dane.string() + "\"\n" +
                         reload.tomlCommand());

  const CommandResult issued = world.certbotCertonly(false);
  ASSERT_EQ(issued.exit_code, 0) << both(issued);
  const fs::path live = world.lineageDir();
  const CertificateFacts first = certificateFacts(live / "cert.pem");
  const std::string first_id = certificateId(live / "cert.pem");

  // First enablement: publish, wait out the negative TTL, then create the links.
  const CommandResult enable = world.daneguard("run", {"--wait"});
  ASSERT_EQ(enable.exit_code, 0) << both(enable);
  ASSERT_TRUE(pollUntil([&] { return world.everyServerServes({first.tlsa()}); }, 10s));
  EXPECT_EQ(trimmed(runCommand({"stat", "-c", "%a", links.string()}).out), "700")
      << "Alnitak's lineage directory mode";
  for (const char* stem : {"cert", "chain", "fullchain", "privkey"}) {
    const fs::path link = links / (std::string(stem) + ".pem");
    ASSERT_TRUE(fs::is_symlink(link)) << link;
    // Alnitak's links are relative, into certbot's archive, never through live/.
    const std::string raw = readlinkRaw(link);
    EXPECT_FALSE(raw.empty() || raw.front() == '/') << link << " -> " << raw;
    EXPECT_FALSE(contains(raw, "/live/")) << link << " -> " << raw;
    EXPECT_EQ(readlinkResolved(link), archiveFile(world, stem, 1)) << link << " -> " << raw;
  }
  EXPECT_TRUE(keyMatchesCertificate(links / "cert.pem", links / "privkey.pem"));
  const CommandResult chain_verify =
      runCommand({"openssl", "verify", "-CAfile", world.pebble().issuerRootPath().string(),
                  "-untrusted", (links / "chain.pem").string(), (links / "cert.pem").string()});
  EXPECT_EQ(chain_verify.exit_code, 0) << both(chain_verify);
  ASSERT_EQ(reload.calls().size(), 1u) << "the reload command runs after the first link set";
  EXPECT_TRUE(reload.calls()[0].key_matches);
  EXPECT_EQ(reload.calls()[0].fingerprint, first.fingerprint);

  // Renewal without --reuse-key: live/ moves to version 2 with a new key at once.
  const CommandResult renewed = world.certbotRenew();
  ASSERT_EQ(renewed.exit_code, 0) << both(renewed);
  ASSERT_EQ(readlinkResolved(live / "cert.pem"), archiveFile(world, "cert", 2));
  const CertificateFacts second = certificateFacts(live / "cert.pem");
  const std::string second_id = certificateId(live / "cert.pem");
  ASSERT_NE(second.spki_sha256, first.spki_sha256) << "certbot's default is a new key";

  // One run publishes the new record next to the old one; the links stay on version 1.
  const CommandResult publish = world.daneguard("run", {}, kCacheFactor);
  ASSERT_EQ(publish.exit_code, 0) << both(publish);
  EXPECT_TRUE(
      contains(publish.out + publish.err, "published 3 1 1 " + second.spki_sha256.substr(0, 16)))
      << both(publish);
  EXPECT_TRUE(pollUntil(
      [&] {
        return world.everyServerServes({first.tlsa(), second.tlsa()});
      },
      10s));
  for (const char* stem : {"cert", "chain", "fullchain", "privkey"})
    EXPECT_EQ(readlinkResolved(links / (std::string(stem) + ".pem")), archiveFile(world, stem, 1))
        << stem << " switched before the cache window";
  EXPECT_EQ(readlinkResolved(live / "privkey.pem"), archiveFile(world, "privkey", 2));
  EXPECT_TRUE(keyMatchesCertificate(links / "cert.pem", links / "privkey.pem"));
  EXPECT_EQ(reload.calls().size(), 1u) << "reloaded before the cache window";
  const auto waiting = serviceStatus(world);
  ASSERT_TRUE(waiting);
  EXPECT_TRUE(waiting->phase == "AwaitingCacheExpiry" || waiting->phase == "AwaitingVisibility")
      << waiting->phase;
  EXPECT_TRUE(sameId(waiting->deployed_id, first_id)) << waiting->deployed_id;
  EXPECT_TRUE(sameId(waiting->candidate_id, second_id)) << waiting->candidate_id;

  // run --wait sits out the cache window, switches the links, reloads, then retires the old one.
  const CommandResult finish = world.daneguard("run", {"--wait"}, kCacheFactor);
  ASSERT_EQ(finish.exit_code, 0) << both(finish);
  for (const char* stem : {"cert", "chain", "fullchain", "privkey"})
    EXPECT_EQ(readlinkResolved(links / (std::string(stem) + ".pem")), archiveFile(world, stem, 2))
        << stem;
  EXPECT_TRUE(keyMatchesCertificate(links / "cert.pem", links / "privkey.pem"));
  EXPECT_EQ(certificateFacts(links / "cert.pem").fingerprint, second.fingerprint);
  const auto calls = reload.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].certificate, archiveFile(world, "cert", 2));
  EXPECT_EQ(calls[1].key, archiveFile(world, "privkey", 2));
  EXPECT_EQ(calls[1].fingerprint, second.fingerprint);
  EXPECT_TRUE(calls[1].key_matches);
  const auto visible = world.recordedVisibleSince(second.spki_sha256);
  ASSERT_TRUE(visible);
  // visible_since is whole seconds (floored): allow 1 s of rounding.
  EXPECT_GE(calls[1].time, static_cast<double>(*visible) + kCacheFactor * 2 + 1 - 1)
      << "links switched before cache factor x TTL + margin after full visibility";
  EXPECT_TRUE(contains(finish.out + finish.err, "retired 3 1 1 " + first.spki_sha256.substr(0, 16)))
      << both(finish);
  EXPECT_TRUE(pollUntil([&] { return world.everyServerServes({second.tlsa()}); }, 10s));
  const auto done = serviceStatus(world);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->phase, "Idle");
  EXPECT_TRUE(sameId(done->deployed_id, second_id)) << done->deployed_id;
}

/// Watches an install directory from another thread, as servers starting at random instants
/// would: it resolves `current` once and reads that set's cert.pem and privkey.pem, and reads
/// the top-level combo.pem with one open(), every 20 ms. The distinct sets it saw are checked with
/// openssl afterwards (spawning openssl for every sample would sample too rarely).
class InstallWatcher {
 public:
  InstallWatcher(fs::path directory, fs::path scratch)
      : directory_(std::move(directory)), scratch_(std::move(scratch)) {
    thread_ = std::thread([this] { watch(); });
  }
  ~InstallWatcher() { stop(); }
  InstallWatcher(const InstallWatcher&) = delete;
  InstallWatcher& operator=(const InstallWatcher&) = delete;

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  [[nodiscard]] int samples() const { return samples_; }

  /// After stop(): the fingerprints of every set seen; a mismatched set is named in `problems`.
  std::set<std::string> verify(std::vector<std::string>& problems) const {
    std::set<std::string> fingerprints;
    int index = 0;
    for (const Sample& sample : distinct_) {
      const fs::path base = scratch_ / ("watched-" + std::to_string(index++));
      const fs::path cert = base.string() + "-cert.pem";
      const fs::path key = base.string() + "-privkey.pem";
      const fs::path combo = base.string() + "-combo.pem";
      std::ofstream(cert, std::ios::trunc) << sample.certificate;
      std::ofstream(key, std::ios::trunc) << sample.key;
      std::ofstream(combo, std::ios::trunc) << sample.combo;
      if (!keyMatchesCertificate(cert, key))
        problems.push_back("cert.pem and privkey.pem of " + sample.version + " do not match");
      if (!keyMatchesCertificate(combo, combo))
        problems.push_back("combo.pem of " + sample.version + " does not match itself");
      const std::string fingerprint = trimmed(
          runCommand({"openssl", "x509", "-in", cert.string(), "-noout", "-fingerprint", "-sha256"})
              .out);
      const std::string combo_fingerprint =
          trimmed(runCommand({"openssl", "x509", "-in", combo.string(), "-noout", "-fingerprint",
                              "-sha256"})
                      .out);
      // combo.pem is read through the top-level link, cert.pem through `current`: a switch
      // between the two reads may pair two different sets, each complete.
      fingerprints.insert(fingerprint);
      fingerprints.insert(combo_fingerprint);
    }
    return fingerprints;
  }

 private:
  struct Sample {
    std::string version;
    std::string certificate;
    std::string key;
    std::string combo;
    auto operator<=>(const Sample&) const = default;
  };

  void sample() {
    std::error_code error;
    const fs::path current = fs::read_symlink(directory_ / "current", error);
    if (error) return;
    const fs::path set = directory_ / current;
    Sample taken{current.string(), readTextFile(set / "cert.pem"),
                 readTextFile(set / "privkey.pem"), readTextFile(directory_ / "combo.pem")};
    // A set pruned between read_symlink and the reads is no evidence either way.
    if (taken.certificate.empty() || taken.key.empty() || taken.combo.empty()) return;
    ++samples_;
    distinct_.insert(std::move(taken));
  }

  void watch() {
    while (!stop_) {
      sample();
      std::this_thread::sleep_for(20ms);
    }
    sample();  // the state at the end, after the last step of the run
  }

  fs::path directory_;
  fs::path scratch_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  int samples_ = 0;
  std::set<Sample> distinct_;
};

TEST_F(AcmeDeployModes, CertbotRenewalIsInstalledAsOneMatchingSetAfterTheCacheWindow) {
  AcmeWorld world;
  const fs::path installed = world.directory() / "installed";
  const RecordingReload reload(world.directory());
  world.useCertbotSource("type = \"install\"\ndirectory = \"" + installed.string() + "\"\n" +
                         reload.tomlCommand());

  const CommandResult issued = world.certbotCertonly(false);
  ASSERT_EQ(issued.exit_code, 0) << both(issued);
  const fs::path live = world.lineageDir();
  const CertificateFacts first = certificateFacts(live / "cert.pem");

  const CommandResult enable = world.daneguard("run", {"--wait"});
  ASSERT_EQ(enable.exit_code, 0) << both(enable);
  ASSERT_TRUE(pollUntil([&] { return world.everyServerServes({first.tlsa()}); }, 10s));
  EXPECT_EQ(certificateFacts(installed / "cert.pem").fingerprint, first.fingerprint);
  EXPECT_TRUE(keyMatchesCertificate(installed / "cert.pem", installed / "privkey.pem"));
  EXPECT_TRUE(keyMatchesCertificate(installed / "combo.pem", installed / "combo.pem"));
  const CommandResult chain_verify = runCommand(
      {"openssl", "verify", "-CAfile", world.pebble().issuerRootPath().string(), "-untrusted",
       (installed / "chain.pem").string(), (installed / "cert.pem").string()});
  EXPECT_EQ(chain_verify.exit_code, 0) << both(chain_verify);
  ASSERT_EQ(reload.calls().size(), 1u);
  EXPECT_TRUE(reload.calls()[0].key_matches);

  const CommandResult renewed = world.certbotRenew();
  ASSERT_EQ(renewed.exit_code, 0) << both(renewed);
  const CertificateFacts second = certificateFacts(live / "cert.pem");
  ASSERT_NE(second.spki_sha256, first.spki_sha256) << "certbot's default is a new key";

  // From here until the end, a watcher reads the directory as servers would.
  InstallWatcher watcher(installed, world.directory());
  const CommandResult publish = world.daneguard("run", {}, kCacheFactor);
  ASSERT_EQ(publish.exit_code, 0) << both(publish);
  EXPECT_TRUE(pollUntil(
      [&] {
        return world.everyServerServes({first.tlsa(), second.tlsa()});
      },
      10s));
  EXPECT_EQ(certificateFacts(installed / "cert.pem").fingerprint, first.fingerprint)
      << "installed before the cache window";
  EXPECT_EQ(reload.calls().size(), 1u) << "reloaded before the cache window";

  const CommandResult finish = world.daneguard("run", {"--wait"}, kCacheFactor);
  ASSERT_EQ(finish.exit_code, 0) << both(finish);
  watcher.stop();
  EXPECT_EQ(certificateFacts(installed / "cert.pem").fingerprint, second.fingerprint);
  EXPECT_TRUE(keyMatchesCertificate(installed / "cert.pem", installed / "privkey.pem"));
  EXPECT_TRUE(keyMatchesCertificate(installed / "combo.pem", installed / "combo.pem"));
  const auto calls = reload.calls();
  ASSERT_EQ(calls.size(), 2u);
  for (const ReloadCall& call : calls)
    EXPECT_TRUE(call.key_matches) << call.certificate;
  EXPECT_EQ(calls[1].fingerprint, second.fingerprint);
  EXPECT_TRUE(contains(calls[1].certificate, "/versions/")) << calls[1].certificate;
  const auto visible = world.recordedVisibleSince(second.spki_sha256);
  ASSERT_TRUE(visible);
  EXPECT_GE(calls[1].time, static_cast<double>(*visible) + kCacheFactor * 2 + 1 - 1)
      << "installed before cache factor x TTL + margin after full visibility";
  EXPECT_TRUE(contains(finish.out + finish.err, "retired 3 1 1 " + first.spki_sha256.substr(0, 16)))
      << both(finish);
  EXPECT_TRUE(pollUntil([&] { return world.everyServerServes({second.tlsa()}); }, 10s));

  EXPECT_GT(watcher.samples(), 100) << "the watcher must have looked during the rollover";
  std::vector<std::string> problems;
  EXPECT_EQ(watcher.verify(problems),
            (std::set<std::string>{first.fingerprint, second.fingerprint}))
      << "the watcher must have seen both sets, and nothing else";
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems.front();
}

}  // namespace
}  // namespace daneguard::testing
