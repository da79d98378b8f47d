// The `type = "zonefile"` publisher, for servers that load the zone from files and sign it
// themselves (BIND inline-signing, Knot automatic signing): daneguard's records of one zone go
// into an include file (zone_include_file.hpp) that the operator's zone file $INCLUDEs, replaced
// atomically, and then the reload command runs (argv, no shell, clean environment, timeout).
//
// apply() gets only additions and deletions, so the current set is read back from the file
// itself, the delta applied, and the whole set written: idempotent, and records at the same
// names written by anyone else (in the main zone file) are never touched. Added records take
// the request's TTL and so does every record at their owner (one TTL per RRset, RFC 2181).
// The reload command runs on every apply, even when the file did not change, so that a retry
// after a failed reload loads what the file holds. The zone's SOA serial is not daneguard's:
// a server that needs a higher serial to load a changed file (BIND) needs a reload command that
// raises it (docs/publishers.md).
//
// Prerequisites are evaluated by querying the publisher's dns_server before writing.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "ports/dns_query.hpp"
#include "ports/hook_runner.hpp"
#include "ports/publisher_directory.hpp"

namespace daneguard::adapters::publishers {

class ZoneFilePublisher final : public ports::DnsUpdate, public ports::PublisherAccessCheck {
 public:
  ZoneFilePublisher(std::string name, config::ZoneFilePublisher config, ports::HookRunner& runner,
                    ports::DnsQuery& query);

  Result<ports::UpdateOutcome> apply(const ports::UpdateRequest& request) override;
  /// The include file, if present, is daneguard's and writable; its directory is writable; the
  /// reload program is executable and safe. Nothing is written and nothing is run.
  Result<std::string> checkAccess(const ports::DnsServer& server, const std::string& zone,
                                  const std::vector<std::string>& owners) override;

 private:
  std::string name_;
  std::string who_;  // "publisher 'NAME' (zone file /path)"
  config::ZoneFilePublisher config_;
  ports::HookRunner& runner_;
  ports::DnsQuery& query_;
};

}  // namespace daneguard::adapters::publishers
