// Port: the addresses a TLS endpoint's host name stands for, so that every address (IPv4 and
// IPv6) of a served name is probed on its own; a server reachable on one address family only,
// or one stale backend behind a name, must show up as its own failing endpoint.
#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"

namespace daneguard::ports {

class HostAddresses {
 public:
  virtual ~HostAddresses() = default;
  /// IP literals ("192.0.2.1", "2001:db8::1"), IPv4 first, no duplicates; an IP literal maps
  /// to itself. An error names the host and why it did not resolve.
  virtual Result<std::vector<std::string>> resolve(const std::string& host) = 0;
};

}  // namespace daneguard::ports
