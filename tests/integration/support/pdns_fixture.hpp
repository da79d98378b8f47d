// A real PowerDNS Authoritative server (Debian's pdns-server with the sqlite3 backend) on
// loopback for the publisher tests: DNS on a free port of 127.0.0.1, the HTTP API on another,
// one zone created and signed through the API, short SOA timers so rollovers take seconds.
// The recipe is the verified one of testbed-notes.md §5 (security-poll-suffix= keeps it off the
// network). The test side talks to the API with the curl CLI and reads DNS with dig, never with
// daneguard's own code, so the publisher is checked against independent tools.
// Failures throw std::runtime_error (this is test code).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

namespace daneguard::testing {

struct PdnsOptions {
  std::string zone = "example.test.";
  bool dnssec = true;
  bool api_rectify = true;  // the zone's API-RECTIFY metadata
  std::uint32_t soa_ttl = 3;
  std::uint32_t soa_minimum = 60;
};

/// A free port on 127.0.0.1 for both TCP and UDP at the moment of the call.
std::uint16_t freeLoopbackPort();

class PdnsFixture {
 public:
  /// Why the fixture cannot run here (pdns_server, sqlite3, the schema, curl or dig missing).
  static std::optional<std::string> unavailableReason();

  explicit PdnsFixture(PdnsOptions options = {});
  ~PdnsFixture();
  PdnsFixture(const PdnsFixture&) = delete;
  PdnsFixture& operator=(const PdnsFixture&) = delete;

  [[nodiscard]] std::uint16_t dnsPort() const { return dns_port_; }
  [[nodiscard]] std::string apiUrl() const;  // http://127.0.0.1:PORT (no /api/v1)
  [[nodiscard]] const std::string& apiKey() const { return api_key_; }
  /// A file holding the API key alone (mode 0600), for `api_key_file`.
  [[nodiscard]] const std::filesystem::path& apiKeyFile() const { return api_key_file_; }
  [[nodiscard]] const std::string& zone() const { return options_.zone; }
  [[nodiscard]] const std::filesystem::path& directory() const { return dir_.path(); }

  /// curl against the API: returns {HTTP status, body}. `path` starts below
  /// /api/v1/servers/localhost.
  std::pair<int, std::string> api(const std::string& method, const std::string& path,
                                  const std::string& body = {}) const;
  /// Replaces the TLSA RRset at `owner` through the API (curl), for foreign records.
  void replaceTlsa(const std::string& owner, const std::set<std::string>& records,
                   std::uint32_t ttl = 300) const;

  /// TLSA records at `owner` as dig +norec prints them ("3 1 1 hex", lower case); nullopt when
  /// the server did not answer. `ttl` receives the RRset TTL, `signed_rrset` whether an RRSIG
  /// covering TLSA came with it.
  std::optional<std::multiset<std::string>> servedTlsa(const std::string& owner,
                                                       std::uint32_t* ttl = nullptr,
                                                       bool* signed_rrset = nullptr) const;
  /// The SOA serial dig sees; nullopt when the server did not answer.
  std::optional<std::uint32_t> serial() const;
  /// The server's log so far.
  [[nodiscard]] std::string log() const;

 private:
  void start();
  void stop();

  PdnsOptions options_;
  TempDir dir_;
  std::uint16_t dns_port_ = 0;
  std::uint16_t web_port_ = 0;
  std::string api_key_;
  std::filesystem::path api_key_file_;
  pid_t pid_ = -1;
};

}  // namespace daneguard::testing
