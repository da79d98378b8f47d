// The world of the ACME client tests: a private network namespace with a DNSSEC-signed BIND
// primary (127.0.0.2) and secondary (127.0.0.3) on port 53 whose update key may also write the
// _acme-challenge TXT records of DNS-01; a real Pebble validating against that primary; the real
// certbot (dns-rfc2136 plugin) and lego clients from Debian; a TOML configuration, state
// directory and deploy hook for the real daneguard binary.
//
// Independent oracles only: DNS is read with `dig +norec` per server, certificates and keys with
// the openssl CLI, and the deploy hook itself checks (with `openssl verify`) that what it was
// given chains to Pebble's issuing root and that the key matches the certificate.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/sandbox/dns_sandbox.hpp"
#include "integration/support/network_namespace.hpp"
#include "integration/support/pebble_fixture.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

namespace daneguard::testing {

inline constexpr const char* kAcmeHost = "mail.example.test";

/// What openssl says about a certificate file (the first certificate in it).
struct CertificateFacts {
  std::string fingerprint;  // "sha256 Fingerprint=AB:CD:..."
  std::string spki_sha256;  // TLSA 3 1 1 data, lower-case hex
  [[nodiscard]] std::string tlsa() const { return "3 1 1 " + spki_sha256; }
};
CertificateFacts certificateFacts(const std::filesystem::path& pem);

/// One call of the deploy hook, as the hook recorded it.
struct AcmeHookCall {
  double time = 0;
  std::string fingerprint;  // of DANEGUARD_CERT_FILE
  bool key_matches = false;
  bool chains_to_pebble_root = false;  // openssl verify with DANEGUARD_CHAIN_FILE
};

class AcmeWorld {
 public:
  static std::optional<std::string> unavailableReason();

  AcmeWorld();
  ~AcmeWorld();
  AcmeWorld(const AcmeWorld&) = delete;
  AcmeWorld& operator=(const AcmeWorld&) = delete;

  [[nodiscard]] const std::filesystem::path& directory() const { return dir_.path(); }
  [[nodiscard]] PebbleFixture& pebble() { return *pebble_; }
  [[nodiscard]] static std::string owner() { return "_25._tcp.mail.example.test."; }

  // ---- ACME clients --------------------------------------------------------------------
  /// `certbot certonly` for mail.example.test via DNS-01 (RFC 2136), ECDSA key.
  CommandResult certbotCertonly(bool reuse_key);
  /// `certbot renew --force-renewal` of that lineage, with `extra` arguments.
  CommandResult certbotRenew(const std::vector<std::string>& extra = {});
  [[nodiscard]] std::filesystem::path certbotConfigDir() const;
  [[nodiscard]] std::filesystem::path lineageDir() const;  // <config>/live/mail.example.test
  /// `lego ... run` (or `renew --days 9999`, which always renews) with --pem.
  CommandResult lego(bool renew);
  [[nodiscard]] std::filesystem::path legoPemPath() const;

  // ---- daneguard ------------------------------------------------------------------------
  /// Writes the configuration with this [services.certificate] table body.
  void writeConfig(const std::string& certificate_table);
  /// The same with this [services.deploy] table body instead of the recording hook.
  void writeConfig(const std::string& certificate_table, const std::string& deploy_table);
  void useCertbotSource();
  /// The certbot lineage as source, deployed by this [services.deploy] table body.
  void useCertbotSource(const std::string& deploy_table);
  void useLegoPemSource();
  [[nodiscard]] std::string daneguardCommandLine(const std::string& command,
                                                 const std::vector<std::string>& arguments) const;
  CommandResult daneguard(const std::string& command,
                          const std::vector<std::string>& arguments = {}, int cache_factor = 1);
  [[nodiscard]] std::vector<AcmeHookCall> hookCalls() const;

  // ---- DNS oracles (dig) ------------------------------------------------------------------
  std::optional<std::multiset<std::string>> servedTlsa(std::size_t server) const;
  bool everyServerServes(const std::multiset<std::string>& records) const;
  std::optional<std::uint32_t> serialAt(std::size_t server) const;
  /// visible_since of the record with this 3 1 1 data in the state database (sqlite3 CLI).
  std::optional<long long> recordedVisibleSince(const std::string& spki_sha256) const;

 private:
  CommandResult certbot(const std::vector<std::string>& arguments);
  [[nodiscard]] std::string hookDeployTable() const;

  std::optional<NetworkNamespace> network_;
  TempDir dir_;
  std::unique_ptr<adapters::sandbox::DnsSandbox> sandbox_;
  std::unique_ptr<PebbleFixture> pebble_;
  std::filesystem::path rfc2136_ini_;
  std::string tsig_name_;
  std::string tsig_secret_;
  std::filesystem::path config_path_;
  std::filesystem::path state_dir_;
  std::filesystem::path hook_path_;
};

}  // namespace daneguard::testing
