// PublisherDirectory for the configured `type = "rfc2136"` publishers: a QueryingZoneLocator
// per publisher (update target, extra servers) over one shared DnsQuery, and an LdnsDnsUpdate
// whose TSIG key is loaded only when the first UPDATE is about to be sent, so `plan` and
// `status` work without access to the secret.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "adapters/dns/ldns_dns_update.hpp"
#include "adapters/dns/zone_locator.hpp"
#include "core/config/config.hpp"
#include "core/secret.hpp"
#include "ports/publisher_directory.hpp"

namespace daneguard::adapters::publishers {

struct DirectoryOptions {
  /// Port for NS addresses (53 in production; tests run every server on one high port).
  std::uint16_t authority_port = 53;
  /// A TSIG secret given on the command line (DaneBot's --rfc2136-tsig-secret), by publisher
  /// name; it replaces that publisher's environment variable.
  std::map<std::string, SecretBytes, std::less<>> secret_overrides;
  dns::UpdateOptions update;
};

class Rfc2136PublisherDirectory final : public ports::PublisherDirectory {
 public:
  Rfc2136PublisherDirectory(const config::Config& config, ports::DnsQuery& query,
                            DirectoryOptions options);
  ~Rfc2136PublisherDirectory() override;

  Result<ports::PublisherDns> publisher(std::string_view name) override;
  Result<ports::DnsUpdate*> updater(std::string_view name) override;

 private:
  struct Entry;
  Result<Entry*> entry(std::string_view name);

  const config::Config& config_;
  ports::DnsQuery& query_;
  DirectoryOptions options_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries_;
};

}  // namespace daneguard::adapters::publishers
