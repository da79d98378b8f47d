// A real Pebble ACME server (Debian's pebble package) on free loopback ports, validating DNS-01
// challenges against a given DNS server (the test BIND primary). Its HTTPS listener uses a
// certificate from a private CA made here with the openssl CLI (Debian ships none); ACME clients
// trust it through REQUESTS_CA_BUNDLE (certbot) or LEGO_CA_CERTIFICATES (lego). The root that
// signs issued certificates is new at every start and fetched from Pebble's management API.
//
// Pebble runs with PEBBLE_VA_NOSLEEP=1 (no random validation delay), PEBBLE_WFE_NONCEREJECT=0
// (no injected badNonce) and PEBBLE_AUTHZREUSE=0 (every order is validated by DNS).
// Failures throw std::runtime_error with the tail of Pebble's log (this is test code).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace daneguard::testing {

class BackgroundProcess;

class PebbleFixture {
 public:
  /// Why Pebble cannot run here (pebble, curl or openssl missing), or nullopt.
  static std::optional<std::string> unavailableReason();

  /// Starts Pebble with its files in `directory`, resolving challenges at `dns_server`
  /// ("127.0.0.2:53"), and returns once its directory URL answers.
  PebbleFixture(std::filesystem::path directory, std::string dns_server);
  ~PebbleFixture();
  PebbleFixture(const PebbleFixture&) = delete;
  PebbleFixture& operator=(const PebbleFixture&) = delete;

  /// "https://127.0.0.1:PORT/dir".
  [[nodiscard]] std::string directoryUrl() const;
  /// The CA certificate that signed Pebble's HTTPS listener certificate.
  [[nodiscard]] const std::filesystem::path& tlsCaPath() const { return tls_ca_; }
  /// The root of the certificates Pebble issues (fetched once, then cached in `directory`).
  std::filesystem::path issuerRootPath();
  [[nodiscard]] std::string log() const;

 private:
  std::string curl(const std::string& url) const;

  std::filesystem::path directory_;
  std::filesystem::path tls_ca_;
  std::filesystem::path issuer_root_;
  std::uint16_t acme_port_ = 0;
  std::uint16_t management_port_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace daneguard::testing
