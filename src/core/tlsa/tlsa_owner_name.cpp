#include "core/tlsa/tlsa_owner_name.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>

namespace daneguard {

Result<DomainName> tlsaOwnerName(std::uint16_t port, std::string_view protocol,
                                 const DomainName& host) {
  if (port == 0) return fail(ErrorKind::InvalidInput, "TLSA port 0 is not a service port");
  std::string lower_protocol(protocol.substr(0, 16));
  std::transform(lower_protocol.begin(), lower_protocol.end(), lower_protocol.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; });
  static constexpr std::array<std::string_view, 3> kProtocols{"tcp", "udp", "sctp"};
  if (protocol.size() > 16 ||
      std::find(kProtocols.begin(), kProtocols.end(), lower_protocol) == kProtocols.end()) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("TLSA protocol '{}' is not one of tcp, udp, sctp", lower_protocol));
  }
  if (host.isRoot()) return fail(ErrorKind::InvalidInput, "TLSA host name must not be the root");
  if (host.isWildcard()) {
    return fail(
        ErrorKind::InvalidInput,
        fmt::format("TLSA host name '{}' is a wildcard; name the host itself", host.toString()));
  }
  // A valid host plus two valid labels can only fail by growing past the length limit.
  auto owner = host.prepend("_" + lower_protocol).and_then([&](const DomainName& name) {
    return name.prepend(fmt::format("_{}", port));
  });
  if (!owner) {
    return fail(
        ErrorKind::InvalidInput,
        fmt::format("TLSA owner name for host '{}' would exceed 255 octets", host.toString()));
  }
  return owner;
}

Result<DomainName> tlsaOwnerName(std::uint16_t port, std::string_view protocol,
                                 std::string_view host) {
  auto parsed = DomainName::parse(host);
  if (!parsed) return fail(std::move(parsed).error().withContext("TLSA host name"));
  return tlsaOwnerName(port, protocol, *parsed);
}

}  // namespace daneguard
