// The owner name of a TLSA RRset, `_<port>._<protocol>.<host>.` (RFC 6698 §3).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/dns/domain_name.hpp"
#include "core/error.hpp"

namespace daneguard {

/// `protocol` is "tcp", "udp" or "sctp" (any case). Port 0 is refused: no service listens there.
Result<DomainName> tlsaOwnerName(std::uint16_t port, std::string_view protocol,
                                 const DomainName& host);

/// The same with the host as text ("mail.example.com", trailing dot optional).
Result<DomainName> tlsaOwnerName(std::uint16_t port, std::string_view protocol,
                                 std::string_view host);

}  // namespace daneguard
