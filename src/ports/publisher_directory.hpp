// Port: the DNS side of each configured publisher, by name: how to find zones and their
// authoritative servers as that publisher's primary sees them, and how to change records there.
//
// Two calls on purpose: observing (plan, status) needs no credentials, so `updater` is asked
// only when an UPDATE is about to be sent, and a missing TSIG secret does not stop a `plan`.
//
// Every publisher kind (RFC 2136, external program, zone file, provider APIs) is a DnsUpdate:
// record-level additions and deletions of exactly daneguard's records. Whatever the kind,
// visibility is judged by querying the zone's authoritative servers (the locator), never by
// trusting the publisher's own report.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "ports/dns_query.hpp"
#include "ports/dns_update.hpp"

namespace daneguard::ports {

struct PublisherDns {
  /// The server that answers for the zone as the publisher sees it: the (possibly hidden)
  /// primary that accepts UPDATE messages, or a publisher's configured `dns_server`.
  DnsServer update_target;
  ZoneLocator* locator = nullptr;  // owned by the directory; valid while it lives
};

/// Implemented by a DnsUpdate that can test its credentials and permissions without changing
/// anything (`daneguard check`). A kind that cannot simply does not implement it.
class PublisherAccessCheck {
 public:
  virtual ~PublisherAccessCheck() = default;
  /// `owners` are the TLSA owner names in `zone` the publisher is meant to change. Success
  /// says what was verified; an error says what is missing (and names the server or file).
  virtual Result<std::string> checkAccess(const DnsServer& server, const std::string& zone,
                                          const std::vector<std::string>& owners) = 0;
};

/// The result of checking one zone of a publisher.
struct ZoneAccessCheck {
  std::string zone;  // empty when the zone of `owners` could not be found
  std::vector<std::string> owners;
  Result<std::string> outcome;
  bool untestable = false;  // the kind cannot test access without changing something
};

class PublisherDirectory {
 public:
  virtual ~PublisherDirectory() = default;
  /// Config error when the name is unknown or the publisher cannot be used for observing.
  virtual Result<PublisherDns> publisher(std::string_view name) = 0;
  /// Loads the publisher's credentials (TSIG key) on first use. Owned by the directory.
  virtual Result<DnsUpdate*> updater(std::string_view name) = 0;
  /// Tests, without changing anything, whether the publisher may change TLSA records at
  /// `owners`: one result per zone they lie in. The default says that it cannot be tested.
  virtual std::vector<ZoneAccessCheck> checkAccess(std::string_view name,
                                                   const std::vector<std::string>& owners) {
    return {ZoneAccessCheck{{},
                            owners,
                            fail(ErrorKind::Internal, "publisher '" + std::string(name) +
                                                          "': this directory cannot test access"),
                            true}};
  }
};

}  // namespace daneguard::ports
