// A real validating Unbound (the Debian `unbound` daemon) on a free loopback port, for tests of
// the DANE lookup path: it knows the test zones only through stub zones pointing at the test
// BIND servers, and validates with the trust anchor files given (the sandbox zone's DS). No
// root hints are ever needed: every name asked lies in a stub zone.
//
// Failures throw std::runtime_error with the tail of Unbound's log (this is test code).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "adapters/sandbox/child_process.hpp"
#include "ports/dns_query.hpp"
#include "support/temp_dir.hpp"

namespace daneguard::testing {

struct UnboundStubZone {
  std::string zone;         // "example.test."
  ports::DnsServer server;  // its authoritative server
};

struct UnboundFixtureOptions {
  std::vector<UnboundStubZone> stub_zones;
  std::vector<std::filesystem::path> trust_anchor_files;  // DS or DNSKEY zone-file lines
  std::string address = "127.0.0.1";
  std::chrono::milliseconds ready_timeout{10000};
};

class UnboundFixture {
 public:
  explicit UnboundFixture(UnboundFixtureOptions options);
  ~UnboundFixture();
  UnboundFixture(const UnboundFixture&) = delete;
  UnboundFixture& operator=(const UnboundFixture&) = delete;

  [[nodiscard]] const ports::DnsServer& endpoint() const { return endpoint_; }
  [[nodiscard]] std::string log() const;
  /// `dig @unbound NAME TYPE` flags line and answer, an oracle independent of daneguard.
  [[nodiscard]] std::string dig(const std::string& name, const std::string& type) const;

 private:
  UnboundFixtureOptions options_;
  TempDir directory_;
  ports::DnsServer endpoint_;
  adapters::sandbox::ChildProcess process_;
};

}  // namespace daneguard::testing
