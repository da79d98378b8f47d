// Port: the DNS side of each configured publisher, by name: how to find zones and their
// authoritative servers as that publisher's primary sees them, and how to change records there.
//
// Two calls on purpose: observing (plan, status) needs no credentials, so `updater` is asked
// only when an UPDATE is about to be sent, and a missing TSIG secret does not stop a `plan`.
#pragma once

#include <string_view>

#include "core/error.hpp"
#include "ports/dns_query.hpp"
#include "ports/dns_update.hpp"

namespace daneguard::ports {

struct PublisherDns {
  DnsServer update_target;         // the (possibly hidden) primary that accepts UPDATE messages
  ZoneLocator* locator = nullptr;  // owned by the directory; valid while it lives
};

class PublisherDirectory {
 public:
  virtual ~PublisherDirectory() = default;
  /// Config error when the name is unknown or the publisher cannot be used for observing.
  virtual Result<PublisherDns> publisher(std::string_view name) = 0;
  /// Loads the publisher's credentials (TSIG key) on first use. Owned by the directory.
  virtual Result<DnsUpdate*> updater(std::string_view name) = 0;
};

}  // namespace daneguard::ports
