// ports::DnsUpdate over the PowerDNS Authoritative HTTP API (`type = "pdns"`).
//
// apply() reads the zone (GET .../zones/{id}), checks the prerequisites against the TLSA RRsets
// it holds, and writes each changed RRset in ONE PATCH (PowerDNS applies a PATCH as one
// transaction): changetype REPLACE with our additions plus every record we do not own, or
// DELETE when nothing is left. The API (4.7, Debian 12) has no conditional write, so another
// editor's change between our read and our PATCH would be overwritten; the window is one round
// trip, and a read-back after the PATCH turns a lost race on our records into
// PreconditionFailed (the runner then observes again). DNSSEC zones are rectified after the
// write when the zone's api_rectify is off (PUT .../rectify).
#pragma once

#include <memory>
#include <string_view>

#include "adapters/publishers/api_publisher_support.hpp"
#include "core/config/config.hpp"
#include "ports/dns_update.hpp"

namespace daneguard::adapters::publishers {

/// Loads the API key (file or environment) now: the directory asks for an updater only when an
/// update is about to be sent, so a missing key does not stop `plan` or `status`.
Result<std::unique_ptr<ports::DnsUpdate>> makePowerDnsUpdater(
    const config::PowerDnsPublisher& publisher, std::string_view publisher_name,
    ApiPublisherDependencies dependencies = {});

}  // namespace daneguard::adapters::publishers
