// HostAddresses through the system resolver (getaddrinfo: /etc/hosts, then DNS as nsswitch.conf
// says), the same path the probed services' clients take for their own names.
#pragma once

#include "ports/host_addresses.hpp"

namespace daneguard::adapters::hosts {

class GetaddrinfoHostAddresses final : public ports::HostAddresses {
 public:
  Result<std::vector<std::string>> resolve(const std::string& host) override;
};

}  // namespace daneguard::adapters::hosts
