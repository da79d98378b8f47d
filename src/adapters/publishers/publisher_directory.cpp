// Publishers by name, for every configured kind (see the header).
#include "adapters/publishers/publisher_directory.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <type_traits>
#include <variant>

#include "adapters/dns/dns_message.hpp"
#include "adapters/dns/zone_locator.hpp"
#include "adapters/process/posix_hook_runner.hpp"
#include "adapters/publishers/cloudflare_publisher.hpp"
#include "adapters/publishers/desec_publisher.hpp"
#include "adapters/publishers/external_program_publisher.hpp"
#include "adapters/publishers/pdns_publisher.hpp"
#include "adapters/publishers/rfc2136_publisher.hpp"
#include "adapters/publishers/zone_file_publisher.hpp"

namespace daneguard::adapters::publishers {
namespace {

ports::DnsServer toDnsServer(const config::ServerAddress& address) {
  return ports::DnsServer{address.host, address.port};
}

/// Where a publisher's zone is read: the RFC 2136 primary, or the `dns_server` of any other kind.
struct LocatorSettings {
  config::ServerAddress server;
  std::optional<std::string> zone;
  std::vector<config::ServerAddress> extra_servers;
};

LocatorSettings locatorSettingsOf(const config::Publisher& publisher) {
  return std::visit(
      [](const auto& kind) -> LocatorSettings {
        using Kind = std::decay_t<decltype(kind)>;
        if constexpr (std::is_same_v<Kind, config::Rfc2136Publisher>)
          return {kind.server, kind.zone, kind.extra_servers};
        else if constexpr (requires { kind.common.dns; })  // HTTP API publishers
          return {kind.common.dns.dns_server, kind.common.dns.zone, kind.common.dns.extra_servers};
        else
          return {kind.dns.dns_server, kind.dns.zone, kind.dns.extra_servers};
      },
      publisher);
}

/// The update target's view, checked against a zone the operator configured explicitly.
class ConfiguredZoneLocator final : public ports::ZoneLocator {
 public:
  ConfiguredZoneLocator(ports::DnsQuery& query, dns::ZoneLocatorOptions options,
                        std::optional<std::string> zone)
      : inner_(query, std::move(options)), zone_(std::move(zone)) {}

  Result<ports::ZoneApex> discoverZone(const std::string& owner) override {
    auto apex = inner_.discoverZone(owner);
    if (!apex || !zone_) return apex;
    if (apex->zone != *zone_)
      return fail(ErrorKind::Config, owner + " lies in zone " + apex->zone +
                                         " according to the update target, but the publisher "
                                         "is configured for zone " +
                                         *zone_);
    return apex;
  }
  Result<std::vector<ports::AuthoritativeServer>> authoritativeAddresses(
      const std::string& zone) override {
    return inner_.authoritativeAddresses(zone);
  }

 private:
  dns::QueryingZoneLocator inner_;
  std::optional<std::string> zone_;
};

ApiPublisherDependencies apiDependencies(const UpdaterContext& context) {
  ApiPublisherDependencies dependencies;
  dependencies.warn = context.options.warn;
  return dependencies;
}

}  // namespace

Result<std::unique_ptr<ports::DnsUpdate>> makeUpdater(const config::Publisher& publisher,
                                                      const UpdaterContext& context) {
  const std::string name(context.name);
  return std::visit(
      [&](const auto& kind) -> Result<std::unique_ptr<ports::DnsUpdate>> {
        using Kind = std::decay_t<decltype(kind)>;
        if constexpr (std::is_same_v<Kind, config::Rfc2136Publisher>) {
          const auto secret = context.options.secret_overrides.find(name);
          auto key = loadTsigKey(kind.tsig, secret == context.options.secret_overrides.end()
                                                ? nullptr
                                                : &secret->second);
          if (!key) return fail(key.error().withContext("publisher '" + name + "'"));
          return std::make_unique<Rfc2136Publisher>(name, std::move(*key), context.options.update);
        } else if constexpr (std::is_same_v<Kind, config::ExternalProgramPublisher>) {
          return std::make_unique<ExternalProgramPublisher>(name, kind, context.program_runner,
                                                            context.query);
        } else if constexpr (std::is_same_v<Kind, config::ZoneFilePublisher>) {
          return std::make_unique<ZoneFilePublisher>(name, kind, context.program_runner,
                                                     context.query);
        } else if constexpr (std::is_same_v<Kind, config::PowerDnsPublisher>) {
          return makePowerDnsUpdater(kind, name, apiDependencies(context));
        } else if constexpr (std::is_same_v<Kind, config::CloudflarePublisher>) {
          return makeCloudflareUpdater(kind, name, apiDependencies(context));
        } else if constexpr (std::is_same_v<Kind, config::DesecPublisher>) {
          return makeDesecUpdater(kind, name, apiDependencies(context));
        } else {
          static_assert(!sizeof(Kind), "add a case for this publisher kind");
        }
      },
      publisher);
}

struct ConfiguredPublisherDirectory::Entry {
  const config::Publisher* config = nullptr;
  ports::DnsServer update_target;
  std::unique_ptr<ports::ZoneLocator> locator;
  std::unique_ptr<ports::DnsUpdate> update;
};

ConfiguredPublisherDirectory::ConfiguredPublisherDirectory(const config::Config& config,
                                                           ports::DnsQuery& query,
                                                           DirectoryOptions options)
    : config_(config), query_(query), options_(std::move(options)) {
  if (options_.program_runner == nullptr) {
    own_runner_ = std::make_unique<process::PosixHookRunner>();
    options_.program_runner = own_runner_.get();
  }
}

ConfiguredPublisherDirectory::~ConfiguredPublisherDirectory() = default;

Result<ConfiguredPublisherDirectory::Entry*> ConfiguredPublisherDirectory::entry(
    std::string_view name) {
  if (const auto found = entries_.find(name); found != entries_.end()) return found->second.get();
  const config::Publisher* publisher = config_.findPublisher(name);
  if (publisher == nullptr)
    return fail(ErrorKind::Config, "no publisher named '" + std::string(name) + "'");
  const LocatorSettings settings = locatorSettingsOf(*publisher);
  auto created = std::make_unique<Entry>();
  created->config = publisher;
  created->update_target = toDnsServer(settings.server);
  dns::ZoneLocatorOptions locator;
  locator.update_target = created->update_target;
  for (const config::ServerAddress& extra : settings.extra_servers)
    locator.extra_servers.push_back(toDnsServer(extra));
  locator.authority_port = options_.authority_port;
  std::optional<std::string> zone;
  if (settings.zone) zone = dns::canonicalName(*settings.zone);
  created->locator = std::make_unique<ConfiguredZoneLocator>(query_, locator, zone);
  Entry* raw = created.get();
  entries_.emplace(std::string(name), std::move(created));
  return raw;
}

Result<ports::PublisherDns> ConfiguredPublisherDirectory::publisher(std::string_view name) {
  auto found = entry(name);
  if (!found) return fail(found.error());
  return ports::PublisherDns{(*found)->update_target, (*found)->locator.get()};
}

Result<ports::DnsUpdate*> ConfiguredPublisherDirectory::updater(std::string_view name) {
  auto found = entry(name);
  if (!found) return fail(found.error());
  if (!(*found)->update) {
    auto made = makeUpdater(*(*found)->config,
                            UpdaterContext{name, query_, *options_.program_runner, options_});
    if (!made) return fail(made.error());
    (*found)->update = std::move(*made);
  }
  return (*found)->update.get();
}

std::vector<ports::ZoneAccessCheck> ConfiguredPublisherDirectory::checkAccess(
    std::string_view name, const std::vector<std::string>& owners) {
  std::vector<ports::ZoneAccessCheck> results;
  auto found = entry(name);
  if (!found) return {ports::ZoneAccessCheck{{}, owners, fail(found.error())}};
  // Owners grouped by zone, in first-seen order.
  std::vector<ports::ZoneAccessCheck> zones;
  for (const std::string& owner : owners) {
    auto apex = (*found)->locator->discoverZone(owner);
    if (!apex) {
      results.push_back(ports::ZoneAccessCheck{{}, {owner}, fail(apex.error())});
      continue;
    }
    auto same = std::find_if(zones.begin(), zones.end(),
                             [&](const auto& zone) { return zone.zone == apex->zone; });
    if (same == zones.end())
      zones.push_back(ports::ZoneAccessCheck{apex->zone, {owner}, std::string()});
    else
      same->owners.push_back(owner);
  }
  auto update = updater(name);
  for (ports::ZoneAccessCheck& zone : zones) {
    if (!update) {
      zone.outcome = fail(update.error());
    } else if (auto* check = dynamic_cast<ports::PublisherAccessCheck*>(*update);
               check == nullptr) {
      zone.outcome = fail(ErrorKind::Internal,
                          fmt::format("publisher '{}': this kind cannot test its access without "
                                      "changing something",
                                      name));
      zone.untestable = true;
    } else {
      zone.outcome = check->checkAccess((*found)->update_target, zone.zone, zone.owners);
    }
    results.push_back(std::move(zone));
  }
  return results;
}

}  // namespace daneguard::adapters::publishers
