#include "core/config/config.hpp"

#include <algorithm>

namespace daneguard::config {

std::string_view transportProtocolName(TransportProtocol protocol) {
  switch (protocol) {
    case TransportProtocol::Tcp:
      return "tcp";
    case TransportProtocol::Udp:
      return "udp";
    case TransportProtocol::Sctp:
      return "sctp";
  }
  return "unknown";
}

const Service* Config::findService(std::string_view name) const {
  const auto found = std::find_if(services.begin(), services.end(),
                                  [&](const Service& service) { return service.name == name; });
  return found == services.end() ? nullptr : &*found;
}

const Publisher* Config::findPublisher(std::string_view name) const {
  const auto found = publishers.find(name);
  return found == publishers.end() ? nullptr : &found->second;
}

}  // namespace daneguard::config
