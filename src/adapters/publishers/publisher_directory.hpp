// PublisherDirectory for every configured publisher kind, dispatching on config::Publisher:
// a QueryingZoneLocator per publisher (its update target or dns_server, extra servers) over one
// shared DnsQuery, and a DnsUpdate made on first use by makeUpdater(), so credentials (TSIG
// keys, API tokens) are loaded only when a change is about to be made and `plan` and `status`
// work without them.
//
// Adding a publisher kind: give its config struct a `PublisherDnsSettings dns` member (then the
// locator needs nothing more), write a DnsUpdate for it (optionally also a
// PublisherAccessCheck), and add one `if constexpr` case to makeUpdater() in the .cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "adapters/dns/ldns_dns_update.hpp"
#include "core/config/config.hpp"
#include "core/secret.hpp"
#include "ports/hook_runner.hpp"
#include "ports/publisher_directory.hpp"

namespace daneguard::adapters::publishers {

struct DirectoryOptions {
  /// Port for NS addresses (53 in production; tests run every server on one high port).
  std::uint16_t authority_port = 53;
  /// A TSIG secret given on the command line (DaneBot's --rfc2136-tsig-secret), by publisher
  /// name; it replaces that publisher's environment variable.
  std::map<std::string, SecretBytes, std::less<>> secret_overrides;
  dns::UpdateOptions update;
  /// Runs external publisher programs and reload commands; null: a PosixHookRunner owned by
  /// the directory.
  ports::HookRunner* program_runner = nullptr;
  /// Warnings of the publishers (HTTP API retries, TTL adjustments), one line each naming the
  /// publisher; the cli routes them into the run's events so --log-format json holds. Empty:
  /// printed on stderr.
  std::function<void(const std::string&)> warn;
};

/// What makeUpdater() may use besides the publisher's own configuration.
struct UpdaterContext {
  std::string_view name;  // the publisher's configured name, for messages
  ports::DnsQuery& query;
  ports::HookRunner& program_runner;
  const DirectoryOptions& options;
};

/// The DnsUpdate of one configured publisher (credentials loaded now).
Result<std::unique_ptr<ports::DnsUpdate>> makeUpdater(const config::Publisher& publisher,
                                                      const UpdaterContext& context);

class ConfiguredPublisherDirectory final : public ports::PublisherDirectory {
 public:
  ConfiguredPublisherDirectory(const config::Config& config, ports::DnsQuery& query,
                               DirectoryOptions options);
  ~ConfiguredPublisherDirectory() override;

  Result<ports::PublisherDns> publisher(std::string_view name) override;
  Result<ports::DnsUpdate*> updater(std::string_view name) override;
  std::vector<ports::ZoneAccessCheck> checkAccess(std::string_view name,
                                                  const std::vector<std::string>& owners) override;

 private:
  struct Entry;
  Result<Entry*> entry(std::string_view name);

  const config::Config& config_;
  ports::DnsQuery& query_;
  DirectoryOptions options_;
  std::unique_ptr<ports::HookRunner> own_runner_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries_;
};

}  // namespace daneguard::adapters::publishers
