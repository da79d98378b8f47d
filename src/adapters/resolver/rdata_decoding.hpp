// Turns the wire-form RDATA a resolver hands back (libunbound's ub_result::data, or the answer
// section of a reply) into the port's value types. Shared by both DaneLookup adapters so that
// they cannot disagree on what an MX or an address is.
#pragma once

#include <optional>
#include <string>

#include "core/bytes.hpp"
#include "core/tlsa/tlsa_record.hpp"
#include "ports/dane_lookup.hpp"

namespace daneguard::adapters::resolver {

/// RFC 6698 §2.1 wire form; nullopt when shorter than the three parameter octets.
std::optional<TlsaRecord> decodeTlsaRdata(ByteView rdata);
/// 4 octets -> "192.0.2.1", 16 -> "2001:db8::1"; nullopt for any other length.
std::optional<std::string> decodeAddressRdata(ByteView rdata);
/// Preference + uncompressed exchange name; the host is lower case without the trailing dot,
/// "" for the RFC 7505 null MX ("0 ."). nullopt when malformed.
std::optional<ports::MxHost> decodeMxRdata(ByteView rdata);

/// Lower case, trailing dot: the owner form of the ports.
std::string canonicalOwner(const std::string& name);

/// The weaker of two statuses: Bogus < Insecure < Secure.
ports::DnssecStatus weakerStatus(ports::DnssecStatus a, ports::DnssecStatus b);

}  // namespace daneguard::adapters::resolver
