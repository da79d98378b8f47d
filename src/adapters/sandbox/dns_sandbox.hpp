// A throwaway, DNSSEC-signed BIND 9 set-up in a private temporary directory: one primary that
// accepts RFC 2136 updates signed with a fresh TSIG key, and any number of BIND secondaries fed
// by NOTIFY and TSIG-signed zone transfers. Used by `daneguard demo`, the integration tests and
// the benchmarks, so there is exactly one implementation of "start a BIND".
//
// The zone is signed by dnssec-policy (one ECDSA P-256 CSK, inline-signing no). Its NS records
// name ns1.<zone> (the primary) and ns2.<zone>, ns3.<zone>, ... (the secondaries in order), with
// A/AAAA glue pointing at the addresses the servers really listen on, all on ONE port: a client
// finds every server through the NS set exactly as in production.
//
// Two ways to address it:
// * loopback(): 127.0.0.1 (primary) and ::1 (secondary) on a free port. A stock loopback has
//   only these two addresses configured, and named listens only on configured addresses.
// * productionLike(): 127.0.0.2, 127.0.0.3, ... on port 53, for a process that runs inside a
//   network namespace whose loopback carries those addresses (the tests make one). The sandbox
//   itself knows nothing of namespaces: its processes simply inherit the caller's.
//
// Lag and outages, for rollover tests and the demo:
// * outage: stopServer(i) (the address then times out); startServer(i) brings it back;
// * lag: startServer(i, StartMode::CutOff) (re)starts secondary i pointed at a primary address
//   where nothing listens, so it keeps serving its last copy of the zone however often it is
//   told of changes (a restarted BIND secondary would otherwise refresh at once);
//   startServer(i, StartMode::CatchUp) reconnects it and returns once it serves the primary's
//   serial;
// * slow propagation: DnsSandboxOptions::notify_delay (the primary's notify-delay).
// Servers run as child processes (no shell) with PR_SET_PDEATHSIG, and are stopped (SIGTERM,
// then SIGKILL) and the directory removed when the sandbox is destroyed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "adapters/sandbox/child_process.hpp"
#include "core/error.hpp"
#include "ports/dns_query.hpp"

namespace daneguard::adapters::sandbox {

/// What the update key may change. TlsaOnly is the least-privilege policy the docs recommend:
/// `update-policy { grant KEY zonesub TLSA; };`.
enum class UpdatePermission { TlsaOnly, AnyRecord };

struct DnsSandboxOptions {
  std::string zone = "example.test.";
  std::string primary_address = "127.0.0.1";
  /// One BIND secondary per address (ns2, ns3, ... in this order).
  std::vector<std::string> secondary_addresses;
  /// false: the secondaries are in the NS set and configured but left stopped until
  /// startServer() (their addresses then time out, like servers that are down).
  bool start_secondaries = true;
  /// Port of every server; 0 picks one that is free on every address.
  std::uint16_t port = 0;
  /// Where the private directory is made; empty means the system's temporary directory.
  std::filesystem::path parent_directory;

  std::string update_key_name = "tlsa-update-key";
  std::string tsig_algorithm = "hmac-sha256";  // also hmac-sha1/224/384/512
  UpdatePermission update_permission = UpdatePermission::TlsaOnly;
  /// Keys the primary knows but that may change nothing (their updates are REFUSED).
  std::vector<std::string> unprivileged_key_names;

  std::uint32_t default_ttl = 300;  // $TTL of the zone file
  std::uint32_t soa_ttl = 30;       // TTL of the SOA record itself
  std::uint32_t soa_minimum = 120;  // negative TTL = min(soa_minimum, soa_ttl), RFC 2308
  std::uint32_t dnskey_ttl = 60;
  /// The primary's notify-delay: how long it waits before telling the secondaries of a change.
  std::chrono::seconds notify_delay{0};
  /// Zone-file lines appended to the zone (relative names are below the zone).
  std::string extra_records;
  /// Longest wait for a server to serve the signed zone (and the primary's serial).
  std::chrono::milliseconds ready_timeout{15000};

  /// 127.0.0.1 (+ ::1 for the one secondary a stock loopback allows) on a free port.
  static DnsSandboxOptions loopback(bool with_secondary = true);
  /// 127.0.0.2 for the primary, 127.0.0.3, ... for `secondaries`, every one on port 53.
  static DnsSandboxOptions productionLike(std::size_t secondaries = 1);
  /// productionLike(n)'s addresses, for whoever prepares the network namespace.
  [[nodiscard]] std::vector<std::string> addresses() const;
};

struct SandboxServer {
  std::string name;           // "ns1.example.test." (the NS host name)
  ports::DnsServer endpoint;  // where it listens
  bool is_primary = false;
};

struct TsigKeyFile {
  std::string name;
  std::string algorithm;
  std::filesystem::path path;  // BIND key file ("key "name" { algorithm ...; secret "..."; };")
};

enum class StartMode {
  /// Connected to the primary; returns once the server serves the primary's serial (a
  /// secondary is nudged with NOTIFYs meanwhile).
  CatchUp,
  /// Secondaries only: cut off from the primary, serving the copy it has (a secondary that
  /// never transferred the zone has none and does not become ready). Returns once it answers
  /// with a signed zone.
  CutOff,
};

class DnsSandbox {
 public:
  /// Starts the primary (and the secondaries unless told otherwise) and returns once every
  /// started server serves the signed zone with the primary's serial. NotFound when named is
  /// not installed (the message names the Debian package); Config for unusable addresses or
  /// ports; Transient (with the tail of named's log) when a server does not come up.
  static Result<std::unique_ptr<DnsSandbox>> start(DnsSandboxOptions options);
  ~DnsSandbox();
  DnsSandbox(const DnsSandbox&) = delete;
  DnsSandbox& operator=(const DnsSandbox&) = delete;

  /// Canonical: lower case with a trailing dot.
  [[nodiscard]] const std::string& zone() const { return zone_; }
  [[nodiscard]] const std::filesystem::path& directory() const { return directory_; }
  /// servers()[0] is the primary, then the secondaries in the order of the options.
  [[nodiscard]] const std::vector<SandboxServer>& servers() const { return servers_; }
  [[nodiscard]] const SandboxServer& primary() const { return servers_.front(); }
  /// Where RFC 2136 updates go (the primary).
  [[nodiscard]] const ports::DnsServer& updateServer() const { return servers_.front().endpoint; }
  /// The key allowed to update the zone (file mode 0600).
  [[nodiscard]] const TsigKeyFile& updateKey() const { return update_key_; }
  [[nodiscard]] const std::vector<TsigKeyFile>& unprivilegedKeys() const {
    return unprivileged_keys_;
  }
  /// The zone's DNSKEY (flags 257) as served, and its DS (SHA-256): trust anchors for a
  /// validating resolver. Both change at every start of a new sandbox.
  [[nodiscard]] const std::filesystem::path& trustAnchorDnskeyPath() const {
    return anchor_dnskey_;
  }
  [[nodiscard]] const std::filesystem::path& trustAnchorDsPath() const { return anchor_ds_; }

  /// Stops server `index` (SIGTERM, then SIGKILL). Stopping a stopped server is fine.
  Result<void> stopServer(std::size_t index);
  /// Starts server `index` as `mode` says (restarting it if it runs in the other mode) and
  /// waits until it is ready in that mode. For the primary, CutOff means CatchUp.
  Result<void> startServer(std::size_t index, StartMode mode = StartMode::CatchUp);
  [[nodiscard]] bool isRunning(std::size_t index) const;

  /// Sends server `index` a NOTIFY for the zone, so a secondary checks the primary's serial
  /// now rather than at its next refresh (what `rndc notify` would make the primary do).
  [[nodiscard]] Result<void> notify(std::size_t index) const;
  /// The SOA serial server `index` serves now.
  [[nodiscard]] Result<std::uint32_t> serialAt(std::size_t index) const;
  /// True while secondary `index` was started with StartMode::CutOff.
  [[nodiscard]] bool isCutOff(std::size_t index) const;
  /// Waits until server `index` serves the primary's serial, sending it NOTIFYs meanwhile
  /// (fails at once for a stopped or cut-off server).
  [[nodiscard]] Result<void> waitUntilInSync(std::size_t index,
                                             std::chrono::milliseconds timeout) const;
  /// The same for every running secondary that is not cut off.
  [[nodiscard]] Result<void> waitUntilInSync(std::chrono::milliseconds timeout) const;

  [[nodiscard]] std::filesystem::path logPath(std::size_t index) const;
  /// The last `max_bytes` of server `index`'s log, for error messages.
  [[nodiscard]] std::string logTail(std::size_t index, std::size_t max_bytes = 3000) const;

 private:
  struct Process {
    std::filesystem::path config;
    std::filesystem::path log;
    ChildProcess child;
    bool cut_off = false;
  };

  explicit DnsSandbox(DnsSandboxOptions options);
  Result<void> startAll();
  Result<void> prepare();
  Result<void> writeKeys();
  Result<void> writePrimary();
  Result<void> writeSecondary(std::size_t index, bool cut_off);
  Result<void> launch(std::size_t index, StartMode mode);
  Result<void> waitUntilServing(std::size_t index, StartMode mode,
                                std::chrono::steady_clock::time_point deadline) const;
  Result<void> exportTrustAnchor();
  [[nodiscard]] Result<void> checkIndex(std::size_t index) const;
  [[nodiscard]] Error withLog(std::size_t index, ErrorKind kind, const std::string& why) const;

  DnsSandboxOptions options_;
  std::filesystem::path named_;
  std::string zone_;
  std::filesystem::path directory_;
  std::vector<SandboxServer> servers_;
  std::vector<Process> processes_;
  TsigKeyFile update_key_;
  TsigKeyFile transfer_key_;
  std::vector<TsigKeyFile> unprivileged_keys_;
  std::filesystem::path anchor_dnskey_;
  std::filesystem::path anchor_ds_;
  bool port_taken_ = false;  // a server failed because its port was taken meanwhile
};

}  // namespace daneguard::adapters::sandbox
