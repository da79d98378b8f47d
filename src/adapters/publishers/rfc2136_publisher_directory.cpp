// RFC 2136 publishers by name (see the header).
#include "adapters/publishers/rfc2136_publisher_directory.hpp"

#include <cstdlib>
#include <type_traits>
#include <variant>

#include "adapters/dns/dns_message.hpp"
#include "adapters/dns/tsig_key.hpp"

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

}  // namespace

struct Rfc2136PublisherDirectory::Entry {
  const config::Rfc2136Publisher* config = nullptr;
  std::unique_ptr<ports::ZoneLocator> locator;
  std::unique_ptr<dns::LdnsDnsUpdate> update;
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
  dns::ZoneLocatorOptions locator;
  locator.update_target = toDnsServer(rfc2136->server);
  for (const config::ServerAddress& extra : rfc2136->extra_servers)
    locator.extra_servers.push_back(toDnsServer(extra));
  locator.authority_port = options_.authority_port;
  std::optional<std::string> zone;
  if (rfc2136->zone) zone = dns::canonicalName(*rfc2136->zone);
  created->locator = std::make_unique<ConfiguredZoneLocator>(query_, locator, zone);
  Entry* raw = created.get();
  entries_.emplace(std::string(name), std::move(created));
  return raw;
}

Result<ports::PublisherDns> Rfc2136PublisherDirectory::publisher(std::string_view name) {
  auto found = entry(name);
  if (!found) return fail(found.error());
  return ports::PublisherDns{toDnsServer((*found)->config->server), (*found)->locator.get()};
}

Result<ports::DnsUpdate*> Rfc2136PublisherDirectory::updater(std::string_view name) {
  auto found = entry(name);
  if (!found) return fail(found.error());
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
