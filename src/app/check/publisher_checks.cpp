// Publisher access findings (see the header).
#include "app/check/publisher_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <variant>

#include "core/tlsa/tlsa_owner_name.hpp"

namespace daneguard::app::check {
namespace {

/// Enough to cover the names a key's policy may treat differently, few enough to stay quick.
constexpr std::size_t kMaxOwnersPerPublisher = 32;

bool isHttpApi(const config::Publisher& publisher) {
  return std::holds_alternative<config::PowerDnsPublisher>(publisher) ||
         std::holds_alternative<config::CloudflarePublisher>(publisher) ||
         std::holds_alternative<config::DesecPublisher>(publisher);
}

/// HTTP API publishers: the token or key, its scope, and the zone as the provider sees it.
std::string apiFixFor(const Error& error) {
  switch (error.kind) {
    case ErrorKind::AuthFailure:
      return "check the API key or token the publisher's `api_key`/`token` names (file or "
             "environment variable) and give it access to this zone (PowerDNS: the server's "
             "api-key; Cloudflare: Zone.Zone:Read and Zone.DNS:Edit on the zone; deSEC: a token "
             "policy allowing TLSA at these names; see docs/publishers.md)";
    case ErrorKind::NotFound:
      return "create the zone at the provider, or fix the publisher's api_url, server_id or "
             "zone_id; the token must be able to see the zone";
    case ErrorKind::Config:
    case ErrorKind::Permission:
      return "fix the publisher's credentials setting: the file or environment variable named "
             "must exist and be readable by daneguard's user";
    case ErrorKind::Transient:
    case ErrorKind::Ambiguous:
      return "make sure the API is reachable from this host (api_url, ca_file, proxy)";
    default:
      return "see docs/publishers.md for this publisher kind";
  }
}

std::string fixFor(const config::Publisher& publisher, const Error& error) {
  if (isHttpApi(publisher)) return apiFixFor(error);
  switch (error.kind) {
    case ErrorKind::AuthFailure:
      return "make the TSIG key name, algorithm and secret match the key the server has "
             "configured (tsig-keygen output on both sides)";
    case ErrorKind::ClockSkew:
      return "synchronise this host's clock with the server's (NTP): TSIG allows 5 minutes";
    case ErrorKind::Rejected:
      return "allow this key to change TLSA records at these names (BIND update-policy, Knot "
             "ACL update-type TLSA; see docs/publishers.md)";
    case ErrorKind::Config:
      return "fix the publisher's configuration (server, zone, credentials)";
    case ErrorKind::NotFound:
    case ErrorKind::Permission:
      return "create the file or directory named, or give daneguard's user access to it";
    case ErrorKind::Transient:
    case ErrorKind::Ambiguous:
      return "make sure the server is reachable from this host and answers for the zone";
    default:
      return "see docs/publishers.md for this publisher kind";
  }
}

std::vector<std::string> ownersOf(const config::Config& config, const std::string& publisher,
                                  std::vector<std::string>& services) {
  std::vector<std::string> owners;
  for (const config::Service& service : config.services) {
    if (service.publisher != publisher) continue;
    services.push_back(service.name);
    for (const std::string& host : service.hosts)
      for (const std::uint16_t port : service.ports) {
        auto owner = tlsaOwnerName(port, config::transportProtocolName(service.protocol), host);
        if (!owner) continue;  // the configuration parser already refused such hosts
        const std::string text = owner->toString();
        if (std::find(owners.begin(), owners.end(), text) == owners.end() &&
            owners.size() < kMaxOwnersPerPublisher)
          owners.push_back(text);
      }
  }
  return owners;
}

}  // namespace

Findings checkPublishers(const config::Config& config, ports::PublisherDirectory& publishers) {
  Findings findings;
  for (const auto& [name, definition] : config.publishers) {
    const std::string subject = "publisher '" + name + "'";
    std::vector<std::string> services;
    const std::vector<std::string> owners = ownersOf(config, name, services);
    if (owners.empty()) {
      findings.push_back(Finding{Severity::Notice, "", subject,
                                 "no service uses this publisher, so its access was not tested",
                                 "remove it, or name it in a service's `publisher`"});
      continue;
    }
    const std::string service = services.size() == 1 ? services.front() : std::string();
    for (const ports::ZoneAccessCheck& zone : publishers.checkAccess(name, owners)) {
      const std::string where = zone.zone.empty() ? subject : subject + ", zone " + zone.zone;
      if (zone.outcome) {
        findings.push_back(Finding{Severity::Ok, service, where, *zone.outcome, ""});
      } else if (zone.untestable) {
        findings.push_back(Finding{Severity::Notice, service, where, zone.outcome.error().message,
                                   "watch the first rollover's log for publishing errors"});
      } else {
        findings.push_back(Finding{Severity::Error, service, where, zone.outcome.error().message,
                                   fixFor(definition, zone.outcome.error())});
      }
    }
  }
  return findings;
}

}  // namespace daneguard::app::check
