// ZoneLocator over a DnsQuery: finds an owner's zone apex by SOA queries walking up the labels
// at the update target, and lists every address of the zone's name servers.
//
// NS host names inside the zone are resolved at the update target itself (it is authoritative
// for them, glue or not); names outside the zone go to a configured resolver (RD=1), or to the
// update target when none is configured. NS addresses are checked on `authority_port`, which
// is 53 in production; tests run name servers on other loopback addresses sharing one high port.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ports/dns_query.hpp"

namespace daneguard::adapters::dns {

struct ZoneLocatorOptions {
  ports::DnsServer update_target;
  std::optional<ports::DnsServer> resolver;
  std::vector<ports::DnsServer> extra_servers;
  std::uint16_t authority_port = 53;
};

class QueryingZoneLocator final : public ports::ZoneLocator {
 public:
  QueryingZoneLocator(ports::DnsQuery& query, ZoneLocatorOptions options)
      : query_(query), options_(std::move(options)) {}

  Result<ports::ZoneApex> discoverZone(const std::string& owner) override;
  Result<std::vector<ports::AuthoritativeServer>> authoritativeAddresses(
      const std::string& zone) override;

 private:
  ports::DnsQuery& query_;
  ZoneLocatorOptions options_;
};

}  // namespace daneguard::adapters::dns
