// ports::DnsUpdate over the Cloudflare API v4 (`type = "cloudflare"`), with an API token.
//
// Cloudflare stores single records, each with an id, so daneguard creates exactly its
// additions (POST .../dns_records with the structured `data` of a TLSA record) and deletes
// exactly its own records by id; other records at the same name are never sent. Before
// writing, every TLSA record at the owner is listed (all pages) to check the prerequisites and
// skip what is already done (idempotent); afterwards the list is read again to confirm. There is
// no conditional write in the API, so a concurrent edit between list and write is detected
// only by that read-back (PreconditionFailed). Creations come before deletions, so a crash in
// between leaves one record too many rather than one too few.
#pragma once

#include <memory>
#include <string_view>

#include "adapters/publishers/api_publisher_support.hpp"
#include "core/config/config.hpp"
#include "ports/dns_update.hpp"

namespace daneguard::adapters::publishers {

/// Loads the token (file or environment) now; see makePowerDnsUpdater.
Result<std::unique_ptr<ports::DnsUpdate>> makeCloudflareUpdater(
    const config::CloudflarePublisher& publisher, std::string_view publisher_name,
    ApiPublisherDependencies dependencies = {});

}  // namespace daneguard::adapters::publishers
