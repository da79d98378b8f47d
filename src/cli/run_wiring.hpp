// The production adapters around app::runRollover, wired in one place for every command that
// runs rollovers (`run`, `plan`, `status`, the DaneBot-style invocation and `certbot-hook`):
// the state directory and its lock, the state store, publishers (their warnings into the run's
// events, so --log-format json holds), certificate loader, deployer, clock, TLS prober and the
// system resolver for probed host names.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "adapters/certificates/pem_certificate_loader.hpp"
#include "adapters/clock/system_clock.hpp"
#include "adapters/dns/ldns_dns_query.hpp"
#include "adapters/files/lock_file.hpp"
#include "adapters/hosts/getaddrinfo_host_addresses.hpp"
#include "adapters/publishers/publisher_directory.hpp"
#include "adapters/tls/openssl_tls_probe.hpp"
#include "app/rollover_runner.hpp"
#include "core/config/config.hpp"
#include "core/secret.hpp"
#include "ports/deployer.hpp"
#include "ports/state_store.hpp"

namespace daneguard::cli {

/// The --state-dir flag when given, else the configuration's state_dir.
std::filesystem::path stateDirectoryOf(const std::string& flag_value, const config::Config& config);

/// Creates the state directory if missing (private from the start: state and staged
/// certificate files live below it), takes its lock and removes files a crashed run staged for
/// a hook (they hold a private key). While another run holds the lock, retries for up to
/// `patience`; then fails with ErrorKind::Transient naming the holder.
Result<adapters::files::LockFile> claimStateDirectory(
    const std::filesystem::path& state_dir,
    std::chrono::milliseconds patience = std::chrono::milliseconds(0));

/// A StateStore opened on first use: `plan` and `status` observe DNS before touching state, so
/// an unreachable server is reported as such even where the state directory is unreadable.
std::unique_ptr<ports::StateStore> lazyStateStore(std::filesystem::path state_dir);

/// The exit status of a finished run: 0 without a failure; else the failure's code, after
/// logging the failure unless it is one of the service errors (which the caller logged).
int finishWithFailure(const app::RunReport& report, app::RunEvents& events);

struct RunWiringOptions {
  /// Port for NS addresses (53 in production; tests run every server on one high port).
  std::uint16_t authority_port = 53;
  /// TSIG secrets given on the command line, by publisher name (DirectoryOptions).
  std::map<std::string, SecretBytes, std::less<>> secret_overrides;
};

/// Owns the adapters and the RunnerPorts over them; `config` and `events` must outlive it.
class RunWiring {
 public:
  RunWiring(const config::Config& config, const std::filesystem::path& state_dir,
            std::unique_ptr<ports::StateStore> store, app::RunEvents& events,
            RunWiringOptions options);
  RunWiring(const RunWiring&) = delete;
  RunWiring& operator=(const RunWiring&) = delete;

  [[nodiscard]] app::RunnerPorts& ports() { return ports_; }

 private:
  adapters::dns::LdnsDnsQuery query_;
  adapters::publishers::ConfiguredPublisherDirectory publishers_;
  adapters::certificates::PemCertificateLoader certificates_;
  std::unique_ptr<ports::StateStore> store_;
  std::unique_ptr<ports::Deployer> deployer_;
  adapters::clock::SystemClock clock_;
  adapters::hosts::GetaddrinfoHostAddresses addresses_;
  adapters::tls::OpenSslTlsProbe probe_;
  app::RunnerPorts ports_;
};

}  // namespace daneguard::cli
