// RFC 2136 publishers by name (see the header).
#include "adapters/publishers/rfc2136_publisher_directory.hpp"

#include <cstdlib>
#include <type_traits>
#include <variant>

#include "adapters/dns/dns_message.hpp"
#include "adapters/dns/tsig_key.hpp"
#include "adapters/publishers/cloudflare_publisher.hpp"
#include "adapters/publishers/desec_publisher.hpp"
#include "adapters/publishers/pdns_publisher.hpp"

namespace daneguard::adapters::publishers {
namespace {

ports::DnsServer toDnsServer(const config::ServerAddress& address) {
  return ports::DnsServer{address.host, address.port};
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

Result<dns::TsigKey> loadKey(const config::TsigCredentials& credentials,
                             const SecretBytes* override_secret) {
  return std::visit(
      [&](const auto& kind) -> Result<dns::TsigKey> {
        using Kind = std::decay_t<decltype(kind)>;
        if constexpr (std::is_same_v<Kind, config::TsigKeyFile>) {
          return dns::TsigKey::fromBindKeyFile(kind.path);
        } else if constexpr (std::is_same_v<Kind, config::TsigSecretFile>) {
          return dns::TsigKey::fromSecretFile(kind.path, kind.key_name,
                                              config::tsigAlgorithmName(kind.algorithm));
        } else {
          if (override_secret != nullptr)
            return dns::TsigKey::create(kind.key_name, config::tsigAlgorithmName(kind.algorithm),
                                        override_secret->revealText(), "--rfc2136-tsig-secret");
          const char* secret = std::getenv(kind.variable.c_str());
          if (secret == nullptr || *secret == '\0')
            return fail(ErrorKind::Config, "the environment variable " + kind.variable +
                                               " holding the secret of TSIG key '" + kind.key_name +
                                               "' is not set");
          return dns::TsigKey::create(kind.key_name, config::tsigAlgorithmName(kind.algorithm),
                                      secret, "environment variable " + kind.variable);
        }
      },
      credentials);
}

/// Where an HTTP API publisher finds zones and servers: its dns_server plays the update
/// target's part (the API itself is not a DNS server).
const config::ApiPublisherCommon* apiCommonOf(const config::Publisher& publisher) {
  if (const auto* pdns = std::get_if<config::PowerDnsPublisher>(&publisher)) return &pdns->common;
  if (const auto* cloudflare = std::get_if<config::CloudflarePublisher>(&publisher))
    return &cloudflare->common;
  if (const auto* desec = std::get_if<config::DesecPublisher>(&publisher)) return &desec->common;
  return nullptr;
}

}  // namespace

struct Rfc2136PublisherDirectory::Entry {
  const config::Rfc2136Publisher* config = nullptr;  // null for HTTP API publishers
  const config::Publisher* publisher = nullptr;
  ports::DnsServer update_target;
  std::unique_ptr<ports::ZoneLocator> locator;
  std::unique_ptr<ports::DnsUpdate> update;
};

Rfc2136PublisherDirectory::Rfc2136PublisherDirectory(const config::Config& config,
                                                     ports::DnsQuery& query,
                                                     DirectoryOptions options)
    : config_(config), query_(query), options_(std::move(options)) {}

Rfc2136PublisherDirectory::~Rfc2136PublisherDirectory() = default;

Result<Rfc2136PublisherDirectory::Entry*> Rfc2136PublisherDirectory::entry(std::string_view name) {
  if (const auto found = entries_.find(name); found != entries_.end()) return found->second.get();
  const config::Publisher* publisher = config_.findPublisher(name);
  if (publisher == nullptr)
    return fail(ErrorKind::Config, "no publisher named '" + std::string(name) + "'");
  const auto* rfc2136 = std::get_if<config::Rfc2136Publisher>(publisher);
  auto created = std::make_unique<Entry>();
  created->config = rfc2136;
  created->publisher = publisher;
  dns::ZoneLocatorOptions locator;
  std::optional<std::string> zone;
  if (rfc2136 != nullptr) {
    locator.update_target = toDnsServer(rfc2136->server);
    for (const config::ServerAddress& extra : rfc2136->extra_servers)
      locator.extra_servers.push_back(toDnsServer(extra));
    if (rfc2136->zone) zone = dns::canonicalName(*rfc2136->zone);
  } else if (const config::ApiPublisherCommon* common = apiCommonOf(*publisher)) {
    locator.update_target = toDnsServer(common->dns_server);
    for (const config::ServerAddress& extra : common->extra_servers)
      locator.extra_servers.push_back(toDnsServer(extra));
    if (common->zone) zone = dns::canonicalName(*common->zone);
  }
  created->update_target = locator.update_target;
  locator.authority_port = options_.authority_port;
  created->locator = std::make_unique<ConfiguredZoneLocator>(query_, locator, zone);
  Entry* raw = created.get();
  entries_.emplace(std::string(name), std::move(created));
  return raw;
}

Result<ports::PublisherDns> Rfc2136PublisherDirectory::publisher(std::string_view name) {
  auto found = entry(name);
  if (!found) return fail(found.error());
  return ports::PublisherDns{(*found)->update_target, (*found)->locator.get()};
}

Result<ports::DnsUpdate*> Rfc2136PublisherDirectory::updater(std::string_view name) {
  auto found = entry(name);
  if (!found) return fail(found.error());
  if (!(*found)->update && (*found)->config == nullptr) {
    const config::Publisher& publisher = *(*found)->publisher;
    Result<std::unique_ptr<ports::DnsUpdate>> made = std::visit(
        [&](const auto& kind) -> Result<std::unique_ptr<ports::DnsUpdate>> {
          using Kind = std::decay_t<decltype(kind)>;
          if constexpr (std::is_same_v<Kind, config::PowerDnsPublisher>)
            return makePowerDnsUpdater(kind, name);
          else if constexpr (std::is_same_v<Kind, config::CloudflarePublisher>)
            return makeCloudflareUpdater(kind, name);
          else if constexpr (std::is_same_v<Kind, config::DesecPublisher>)
            return makeDesecUpdater(kind, name);
          else
            return fail(ErrorKind::Internal, "unreachable publisher kind");
        },
        publisher);
    if (!made) return fail(made.error());
    (*found)->update = std::move(*made);
  }
  if (!(*found)->update) {
    const auto secret = options_.secret_overrides.find(name);
    auto key = loadKey((*found)->config->tsig,
                       secret == options_.secret_overrides.end() ? nullptr : &secret->second);
    if (!key) return fail(key.error().withContext("publisher '" + std::string(name) + "'"));
    (*found)->update = std::make_unique<dns::LdnsDnsUpdate>(std::move(*key), options_.update);
  }
  return (*found)->update.get();
}

}  // namespace daneguard::adapters::publishers
