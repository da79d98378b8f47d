// The TLSA RDATA presentation format of RFC 6698 §2.2 ("3 1 1 <hex>"), as dig prints it and
// as operators paste it. Formatting is canonical: numeric fields, one lower-case hex word.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/tlsa/tlsa_mnemonics.hpp"
#include "core/tlsa/tlsa_record.hpp"

namespace daneguard {

/// Largest Full (matching type 0) association data daneguard accepts in records it creates.
/// Real certificates are 0.5-3 KiB; anything bigger is almost certainly a mistake.
inline constexpr std::size_t kMaxFullTlsaDataOctets = std::size_t{8} * 1024;

/// Parses "3 1 1 <hex>" (fields may also be RFC 7218 names; the hex may be split into several
/// words and be in either case). Strict, for records daneguard will publish: only assigned
/// parameter values, SHA2-256 data of 32 octets, SHA2-512 of 64, Full data of 1 octet up to
/// kMaxFullTlsaDataOctets. Errors name the field and what was expected.
Result<TlsaRecord> parseTlsaRdata(std::string_view text);

/// The same syntax for records read from DNS: any 0-255 parameter values and any data length
/// (at least one octet, at most what fits an RR: 65532). Such records are represented as they
/// are so that matching can report them as unusable and never mistake them for something else.
Result<TlsaRecord> parseTlsaRdataFromDns(std::string_view text);

/// "3 1 1 <lower-case hex>", which both parsers read back to an equal record.
std::string formatTlsaRdata(const TlsaRecord& record);

/// Why a record could not be used by a DANE client even though its syntax is fine: unassigned
/// parameters, or a digest of the wrong length. Empty when it is usable.
std::string tlsaRecordDefect(const TlsaRecord& record);

}  // namespace daneguard
