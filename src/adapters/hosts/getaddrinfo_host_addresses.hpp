// HostAddresses through the system resolver (getaddrinfo: /etc/hosts, then DNS as nsswitch.conf
// says), the same path the probed services' clients take for their own names. The one
// getaddrinfo address lookup of the tool: `run` probes and `verify --tlsa` both use it.
#pragma once

#include "ports/host_addresses.hpp"

namespace daneguard::adapters::hosts {

class GetaddrinfoHostAddresses final : public ports::HostAddresses {
 public:
  /// Errors: NotFound when the name has no address (EAI_NONAME, EAI_NODATA, no A/AAAA),
  /// Transient for EAI_AGAIN, Rejected for any other resolver failure.
  Result<std::vector<std::string>> resolve(const std::string& host) override;
};

}  // namespace daneguard::adapters::hosts
