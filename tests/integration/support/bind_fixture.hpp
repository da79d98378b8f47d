// A throwaway BIND 9 setup for integration tests, demos and benchmarks: a primary serving a
// DNSSEC-signed zone (dnssec-policy with one ECDSA P-256 CSK, inline-signing no) that accepts
// RFC 2136 updates signed with a fresh TSIG key, and optionally a secondary fed by NOTIFY +
// zone transfer that can be stopped and started to simulate lag or an outage.
//
// Addressing: both servers listen on the SAME port, the primary on `primary_address`
// (127.0.0.1), the secondary on `secondary_address` ([::1]): named only binds addresses that
// are configured on an interface, and on a stock loopback those are exactly 127.0.0.1 and ::1
// (127.0.0.2 is routable but not listed, so named ignores it). The zone's NS records point at
// exactly these addresses (ns1 -> primary, ns2 -> secondary, A or AAAA by family). A client
// therefore checks "every NS address on one port", just as it checks port 53 in production
// (ZoneLocatorOptions::authority_port). Netns later: create two network namespaces with real
// addresses, pass them as primary/secondary_address with port 53, and start named through `ip netns
// exec NAME` (BindFixtureOptions::command_prefix); nothing else in the fixture depends on loopback.
//
// Everything lives in a TempDir; the servers are stopped by pid in the destructor. Failures
// throw std::runtime_error with the tail of the server log (this is test code).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ports/dns_query.hpp"
#include "support/temp_dir.hpp"

namespace daneguard::testing {

struct BindFixtureOptions {
  std::string zone = "example.test.";
  std::string primary_address = "127.0.0.1";
  std::string secondary_address = "::1";
  std::uint16_t port = 0;  // 0: pick one that is free on every address
  std::string tsig_key_name = "tlsa-update-key";
  std::string tsig_algorithm = "hmac-sha256";
  std::uint32_t default_ttl = 300;
  std::uint32_t soa_ttl = 30;  // deliberately below MINIMUM: negative TTL = min(...) = 30
  std::uint32_t soa_minimum = 120;
  std::string extra_records;                // zone-file lines appended to the zone
  std::vector<std::string> command_prefix;  // e.g. {"ip", "netns", "exec", "ns1"} (future)
  std::chrono::milliseconds ready_timeout{15000};
};

class BindFixture {
 public:
  explicit BindFixture(BindFixtureOptions options = {});
  ~BindFixture();
  BindFixture(const BindFixture&) = delete;
  BindFixture& operator=(const BindFixture&) = delete;

  [[nodiscard]] const std::string& zone() const { return options_.zone; }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] ports::DnsServer primary() const { return {options_.primary_address, port_}; }
  [[nodiscard]] ports::DnsServer secondary() const { return {options_.secondary_address, port_}; }
  [[nodiscard]] const std::filesystem::path& directory() const { return dir_.path(); }

  /// BIND key file written by tsig-keygen (the key allowed to update the zone).
  [[nodiscard]] const std::filesystem::path& tsigKeyPath() const { return tsig_key_path_; }
  [[nodiscard]] const std::string& tsigKeyName() const { return options_.tsig_key_name; }
  [[nodiscard]] const std::string& tsigAlgorithm() const { return options_.tsig_algorithm; }
  /// The base64 secret (tests use it as a canary: it must never appear in any message).
  [[nodiscard]] const std::string& tsigSecret() const { return tsig_secret_; }
  /// A second key the server knows but that may not update anything (REFUSED).
  [[nodiscard]] const std::filesystem::path& readOnlyKeyPath() const { return readonly_key_path_; }
  [[nodiscard]] const std::string& readOnlyKeySecret() const { return readonly_secret_; }

  /// DNSKEY (flags 257) of the signed zone as served, and the matching DS (SHA-256).
  [[nodiscard]] const std::filesystem::path& trustAnchorPath() const { return trust_anchor_path_; }
  [[nodiscard]] const std::filesystem::path& trustAnchorDsPath() const {
    return trust_anchor_ds_path_;
  }

  /// Starts the secondary and waits until it serves the primary's serial.
  void addSecondary();
  void stopSecondary();
  /// Restarts a stopped secondary (it keeps its zone file, so it starts with the old serial).
  void startSecondary();
  [[nodiscard]] bool secondaryRunning() const;
  /// Sends the secondary a NOTIFY for the zone (from ::1/127.0.0.1, which it accepts), so it
  /// checks the primary's serial now instead of at its next refresh.
  void notifySecondary() const;
  /// Waits until the secondary serves the primary's current serial (sending NOTIFYs while it
  /// lags); false on timeout.
  bool waitForSecondarySync(std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

  /// SOA serial as served by `server` (dig, independent of daneguard's code); nullopt if none.
  [[nodiscard]] std::optional<std::uint32_t> serialAt(const ports::DnsServer& server) const;
  /// `dig +norec +dnssec` answer section lines (RRSIGs included) for NAME TYPE at `server` (an
  /// independent oracle).
  [[nodiscard]] std::vector<std::string> digAnswer(const ports::DnsServer& server,
                                                   const std::string& name,
                                                   const std::string& type) const;
  [[nodiscard]] std::string primaryLog() const;

 private:
  struct Server {
    pid_t pid = -1;
    std::filesystem::path config;
    std::filesystem::path log;
  };

  void writePrimary();
  void writeSecondaryConfig();
  void start(Server& server, const std::string& name);
  void stop(Server& server);
  void waitForSignedZone();
  void exportTrustAnchor();
  [[noreturn]] void failWithLog(const Server& server, const std::string& why) const;

  BindFixtureOptions options_;
  TempDir dir_;
  std::uint16_t port_ = 0;
  std::filesystem::path tsig_key_path_;
  std::string tsig_secret_;
  std::filesystem::path readonly_key_path_;
  std::string readonly_secret_;
  std::filesystem::path trust_anchor_path_;
  std::filesystem::path trust_anchor_ds_path_;
  Server primary_;
  Server secondary_;
  bool secondary_configured_ = false;
};

/// True when a process exists and is not a zombie (kill(pid, 0) is true for zombies).
bool processAlive(pid_t pid);

/// A port on which UDP and TCP are free on every given address (bind to port 0 for the first).
std::uint16_t findFreePort(const std::vector<std::string>& addresses);

}  // namespace daneguard::testing
