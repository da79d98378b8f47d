// ports::DnsUpdate over the deSEC API (`type = "desec"`), with a token.
//
// deSEC stores RRsets: apply() reads each owner's TLSA RRset (GET .../rrsets/{subname}/TLSA/),
// checks the prerequisites, merges our additions and deletions with the records we do not own,
// and writes every changed RRset in ONE bulk PATCH of .../rrsets/ (atomic at deSEC; an empty
// records list deletes the RRset). TTLs below the domain's minimum_ttl (usually 3600 s) are
// raised to it with a warning. deSEC has no conditional write: a read-back after the PATCH
// detects a concurrent edit of our records (PreconditionFailed). Its rate limits answer 429
// with Retry-After, which the shared retry policy honours.
#pragma once

#include <memory>
#include <string_view>

#include "adapters/publishers/api_publisher_support.hpp"
#include "core/config/config.hpp"
#include "ports/dns_update.hpp"

namespace daneguard::adapters::publishers {

/// Loads the token (file or environment) now; see makePowerDnsUpdater.
Result<std::unique_ptr<ports::DnsUpdate>> makeDesecUpdater(
    const config::DesecPublisher& publisher, std::string_view publisher_name,
    ApiPublisherDependencies dependencies = {});

}  // namespace daneguard::adapters::publishers
