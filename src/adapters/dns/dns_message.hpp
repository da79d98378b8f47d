// Builds DNS query messages with ldns and turns received messages into port value types.
// Every name leaving this file is canonical (lower case, absolute).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/dns/ldns_handles.hpp"
#include "core/bytes.hpp"
#include "core/error.hpp"
#include "ports/dns_query.hpp"

namespace daneguard::adapters::dns {

/// EDNS0 UDP payload size recommended by DNS Flag Day 2020: no IP fragmentation.
inline constexpr std::uint16_t kEdnsUdpPayload = 1232;

/// A fresh unpredictable message ID (spoofing resistance, RFC 5452).
std::uint16_t randomMessageId();

/// Lower case, trailing dot. Does not validate beyond that; ldns does when parsing.
std::string canonicalName(std::string_view name);

/// "example.test." for "_25._tcp.example.test."; "." stays ".".
std::string parentName(std::string_view canonical_name);

/// True when `name` equals `zone` or lies below it (both canonical).
bool isAtOrBelow(std::string_view name, std::string_view zone);

/// Parses a name with ldns (rejects empty labels, labels > 63 octets, names > 255 octets).
Result<LdnsRdfPtr> ldnsName(const std::string& name);

/// A query with RD as asked, EDNS0 (1232 bytes, DO=1 so RRSIGs come back), fresh random ID.
Result<Bytes> buildQueryMessage(const ports::DnsQuestion& question);

/// Wire -> ldns packet, with the server named in the error.
Result<LdnsPktPtr> parseMessage(ByteView message, const ports::DnsServer& server);

/// ldns packet -> port answer (answer section, authority section, negative-answer SOA).
ports::DnsAnswer toDnsAnswer(const ldns_pkt& packet, const ports::DnsServer& server, bool over_tcp);

ports::DnsRecord toDnsRecord(const ldns_rr& rr);

}  // namespace daneguard::adapters::dns
