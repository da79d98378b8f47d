// The BIND 9 set-up of the DNS adapter tests: a thin test-flavoured wrapper over the product's
// adapters::sandbox::DnsSandbox (the one implementation of "start a BIND"), keeping the API the
// tests were written against. A primary serving a DNSSEC-signed zone that accepts RFC 2136
// updates of TLSA records signed with a fresh TSIG key, a second "read-only" key that BIND knows
// but that may change nothing, and one secondary (ns2) that is always in the NS set but only
// runs after addSecondary(), and can be stopped and started to simulate lag or an outage.
//
// Addressing: by default the primary listens on 127.0.0.1 and the secondary on ::1, both on the
// same free port (the only two addresses a stock loopback has configured). For production-like
// addresses (127.0.0.2, 127.0.0.3 on port 53) enter a network namespace first
// (network_namespace.hpp) and pass them as primary/secondary_address with port 53.
//
// Failures throw std::runtime_error with the tail of the server log (this is test code).
// serialAt() and digAnswer() use `dig`, an oracle independent of daneguard's DNS code.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/sandbox/dns_sandbox.hpp"
#include "ports/dns_query.hpp"
#include "support/temp_dir.hpp"  // the tests that use the fixture also make TempDirs

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
  std::string extra_records;  // zone-file lines appended to the zone
  std::chrono::milliseconds ready_timeout{15000};
};

class BindFixture {
 public:
  explicit BindFixture(BindFixtureOptions options = {});
  ~BindFixture();
  BindFixture(const BindFixture&) = delete;
  BindFixture& operator=(const BindFixture&) = delete;

  [[nodiscard]] const std::string& zone() const { return options_.zone; }
  [[nodiscard]] std::uint16_t port() const { return sandbox_->primary().endpoint.port; }
  [[nodiscard]] ports::DnsServer primary() const { return sandbox_->servers()[0].endpoint; }
  [[nodiscard]] ports::DnsServer secondary() const { return sandbox_->servers()[1].endpoint; }
  [[nodiscard]] const std::filesystem::path& directory() const { return sandbox_->directory(); }
  /// The product sandbox underneath, for what this wrapper does not forward.
  [[nodiscard]] adapters::sandbox::DnsSandbox& sandbox() { return *sandbox_; }

  /// BIND key file written by tsig-keygen (the key allowed to update the zone).
  [[nodiscard]] const std::filesystem::path& tsigKeyPath() const {
    return sandbox_->updateKey().path;
  }
  [[nodiscard]] const std::string& tsigKeyName() const { return options_.tsig_key_name; }
  [[nodiscard]] const std::string& tsigAlgorithm() const { return options_.tsig_algorithm; }
  /// The base64 secret (tests use it as a canary: it must never appear in any message).
  [[nodiscard]] const std::string& tsigSecret() const { return tsig_secret_; }
  /// A second key the server knows but that may not update anything (REFUSED).
  [[nodiscard]] const std::filesystem::path& readOnlyKeyPath() const {
    return sandbox_->unprivilegedKeys().front().path;
  }
  [[nodiscard]] const std::string& readOnlyKeySecret() const { return readonly_secret_; }

  /// DNSKEY (flags 257) of the signed zone as served, and the matching DS (SHA-256).
  [[nodiscard]] const std::filesystem::path& trustAnchorPath() const {
    return sandbox_->trustAnchorDnskeyPath();
  }
  [[nodiscard]] const std::filesystem::path& trustAnchorDsPath() const {
    return sandbox_->trustAnchorDsPath();
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
  BindFixtureOptions options_;
  std::unique_ptr<adapters::sandbox::DnsSandbox> sandbox_;
  std::string tsig_secret_;
  std::string readonly_secret_;
  bool secondary_added_ = false;
};

/// True when a process exists and is not a zombie (kill(pid, 0) is true for zombies).
bool processAlive(pid_t pid);

/// A port on which UDP and TCP are free on every given address (bind to port 0 for the first).
std::uint16_t findFreePort(const std::vector<std::string>& addresses);

}  // namespace daneguard::testing
