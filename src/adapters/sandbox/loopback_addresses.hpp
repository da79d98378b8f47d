// Address checks made before starting a name server, so that a mistake gives a message that
// says what to do instead of a silent server: named listens only on addresses configured on an
// interface (127.0.0.2 is routable on a stock loopback but not configured, so named ignores it),
// and a port must be free for UDP and TCP on every address.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace daneguard::adapters::sandbox {

/// True when `address` (an IPv4 or IPv6 literal) is configured on a local interface.
bool addressConfigured(const std::string& address);

/// Ok when UDP and TCP sockets can bind `address`:`port` right now.
Result<void> checkPortFree(const std::string& address, std::uint16_t port);

/// A port on which UDP and TCP are free on every address (the kernel picks one for the first).
Result<std::uint16_t> findFreePort(const std::vector<std::string>& addresses);

}  // namespace daneguard::adapters::sandbox
