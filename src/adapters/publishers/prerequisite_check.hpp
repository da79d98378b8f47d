// RFC 2136 prerequisites (§2.4) for publishers that cannot send them with the change itself
// (an external program, a zone file, a provider API): each is evaluated by querying a server
// that answers authoritatively for the zone, just before writing. This is read-compare-write,
// not an atomic compare-and-swap: a change made between the read and the write goes unnoticed,
// but a change made since daneguard last observed the zone (the case that matters: the planner
// derived its cache window from what it saw) stops the write.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "ports/dns_query.hpp"
#include "ports/dns_update.hpp"

namespace daneguard::adapters::publishers {

/// PreconditionFailed when a prerequisite does not hold (naming it and what was found);
/// Transient when `server` gives no usable authoritative answer. `who` starts messages.
Result<void> checkPrerequisitesByQuery(ports::DnsQuery& query, const ports::DnsServer& server,
                                       const std::vector<ports::UpdatePrerequisite>& prerequisites,
                                       std::string_view who);

/// The TLSA records `server` serves at `owner` (empty for NXDOMAIN and NODATA).
Result<std::vector<TlsaRecord>> tlsaRecordsAt(ports::DnsQuery& query,
                                              const ports::DnsServer& server,
                                              const std::string& owner, std::string_view who);

}  // namespace daneguard::adapters::publishers
