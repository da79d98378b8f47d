// The world of an end-to-end rollover test: a private network namespace in which a DNSSEC-signed
// BIND primary (127.0.0.2) and secondaries (127.0.0.3, ...) serve example.test. on port 53 with
// the NS set pointing at them, as in production; certificates made by the openssl CLI; a real
// TOML configuration, state directory and deploy hook script; and the real daneguard binary.
// What DNS serves is read with `dig +norec` and the hook's findings with the openssl CLI, never
// through daneguard's own code, so the tests check the product against independent tools.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/sandbox/dns_sandbox.hpp"
#include "integration/support/network_namespace.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

namespace daneguard::testing {

/// Seconds since the Unix epoch with sub-second precision, comparable to the hook's `date`.
double wallClockNow();

/// Polls `condition` every `interval` until it holds or `timeout` passes; true if it held.
bool pollUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval = std::chrono::milliseconds(100));

/// A leaf certificate for mail.example.test made by the openssl CLI.
struct E2eCertificate {
  std::filesystem::path bundle;  // key + leaf + issuer: the `pem` source
  std::filesystem::path leaf;    // the leaf alone
  std::string fingerprint;       // `openssl x509 -fingerprint -sha256` of the leaf
  std::string spki_sha256;       // TLSA 3 1 1 data: SHA-256 of the DER SubjectPublicKeyInfo
  [[nodiscard]] std::string tlsa() const { return "3 1 1 " + spki_sha256; }
  /// daneguard's certificate id (SHA-256 of the DER leaf), derived from the openssl fingerprint.
  [[nodiscard]] std::string id() const;
  /// The 16 hex digits daneguard shows of an id or a record's data.
  [[nodiscard]] std::string shortId() const { return id().substr(0, 16); }
  [[nodiscard]] std::string shortData() const { return spki_sha256.substr(0, 16); }
};

/// A CA made by the openssl CLI in its own folder, issuing leaves (tools/gen-test-pki.sh style).
class E2ePki {
 public:
  explicit E2ePki(std::filesystem::path directory);
  /// A new leaf with a new key (`key_type` "ec" or "rsa"), or with the key of `reuse_key_of`.
  E2eCertificate issue(const std::string& name, const E2eCertificate* reuse_key_of = nullptr,
                       const std::string& key_type = "ec");

 private:
  std::filesystem::path directory_;
  int serial_ = 0x3000;
};

/// One call of the deploy hook, as the hook script itself recorded it.
struct HookCall {
  double time = 0;                  // when it started (date +%s.%N)
  std::string cert_fingerprint;     // of DANEGUARD_CERT_FILE
  std::string danebot_fingerprint;  // of the PEM in DANEBOT_CERT
  bool key_matches_cert = false;    // DANEGUARD_KEY_FILE holds the certificate's key
  int exit_status = 0;              // what it answered
};

struct E2eOptions {
  std::size_t secondaries = 1;
  std::uint32_t record_ttl = 2;  // TTL of the records daneguard publishes
  // Negative TTL = min(SOA MINIMUM, SOA TTL) = 3 s: the SOA TTL is the smaller one, so a test
  // passes only if daneguard takes the minimum (RFC 2308 §5), not MINIMUM alone.
  std::uint32_t soa_ttl = 3;
  std::uint32_t soa_minimum = 60;
  std::string propagation_timeout = "30s";
  std::vector<std::string> unprivileged_key_names;
};

class E2eWorld {
 public:
  /// Why the world cannot be built here (no named/dig/nsupdate/openssl, no namespaces).
  static std::optional<std::string> unavailableReason();

  explicit E2eWorld(E2eOptions options = {});
  ~E2eWorld();
  E2eWorld(const E2eWorld&) = delete;
  E2eWorld& operator=(const E2eWorld&) = delete;

  [[nodiscard]] adapters::sandbox::DnsSandbox& sandbox() { return *sandbox_; }
  [[nodiscard]] const std::filesystem::path& directory() const { return dir_.path(); }
  [[nodiscard]] E2ePki& pki() { return *pki_; }
  [[nodiscard]] const std::filesystem::path& configPath() const { return config_path_; }
  [[nodiscard]] const std::filesystem::path& stateDir() const { return state_dir_; }
  [[nodiscard]] const std::filesystem::path& hookPath() const { return hook_path_; }
  [[nodiscard]] static std::string owner() { return "_25._tcp.mail.example.test."; }

  /// Makes `certificate` the service's current certificate (what certbot's renewal would do).
  void installCertificate(const E2eCertificate& certificate);
  /// Rewrites the configuration with `tsig_key_file` (default: the sandbox's update key).
  void writeConfig(const std::optional<std::filesystem::path>& tsig_key_file = std::nullopt);

  /// The argv of `daneguard COMMAND -c CONFIG --state-dir DIR --poll-interval 1 --margin 1
  /// --cache-factor F ARGS...` with a clean environment (env -u ...).
  [[nodiscard]] std::vector<std::string> daneguardArgv(const std::string& command,
                                                       const std::vector<std::string>& arguments,
                                                       int cache_factor = 2) const;
  CommandResult daneguard(const std::string& command,
                          const std::vector<std::string>& arguments = {}, int cache_factor = 2);

  /// Makes the hook exit with `status` from its next call on (0: succeed).
  void setHookExitStatus(int status);
  [[nodiscard]] std::vector<HookCall> hookCalls() const;

  /// TLSA records (as "3 1 1 hex", lower case) that server `index` serves at owner(), read with
  /// dig +norec; nullopt when it did not answer. `ttl` receives the RRset's TTL when given.
  std::optional<std::multiset<std::string>> servedTlsa(std::size_t index,
                                                       std::uint32_t* ttl = nullptr) const;
  /// True when every server answers and serves exactly `records` at owner().
  bool everyServerServes(const std::multiset<std::string>& records) const;
  /// The zone's SOA serial at server `index` (dig); nullopt when it did not answer.
  std::optional<std::uint32_t> serialAt(std::size_t index) const;
  /// Runs nsupdate with the sandbox's update key against the primary.
  CommandResult nsupdate(const std::string& update_lines) const;
  /// `visible_since` of the record with `spki_sha256` in the state database (sqlite3 CLI).
  std::optional<long long> recordedVisibleSince(const std::string& spki_sha256) const;

  /// Brings a first certificate into service through daneguard itself (run --wait, factor 1 to
  /// keep tests short), so that a test starts from "A deployed, only A's record published".
  void enableFirst(const E2eCertificate& certificate);

 private:
  E2eOptions options_;
  std::optional<NetworkNamespace> network_;
  TempDir dir_;
  std::unique_ptr<adapters::sandbox::DnsSandbox> sandbox_;
  std::unique_ptr<E2ePki> pki_;
  std::filesystem::path config_path_;
  std::filesystem::path state_dir_;
  std::filesystem::path hook_path_;
  std::filesystem::path bundle_path_;
};

}  // namespace daneguard::testing
