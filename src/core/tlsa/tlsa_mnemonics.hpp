// Reading and writing TLSA parameters as numbers or RFC 7218 mnemonics ("DANE-EE", "SPKI",
// "SHA2-256"), so that operators can type either and always read the names in output.
//
// Two strictness levels, because the two sources of records differ:
//  - Strict: values daneguard will publish. Only the assigned values 0-3 / 0-1 / 0-2 are accepted
//    (RFC 6698 reserves 255 for private use; daneguard never creates such records).
//  - Lenient: values read back from DNS. Any 0-255 is accepted, so that records with unassigned
//    values can be represented, reported as unusable (RFC 7671 §4) and left alone by matching.
// Enumerators outside the named ones are legal values of these enums (fixed underlying type).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/tlsa/tlsa_record.hpp"

namespace daneguard {

enum class TlsaStrictness { Strict, Lenient };

/// "3", "dane-ee", "DANE-EE" (case-insensitive). Errors say which values are accepted.
Result<TlsaUsage> parseTlsaUsage(std::string_view text,
                                 TlsaStrictness strictness = TlsaStrictness::Strict);
/// "1", "spki", "Cert".
Result<TlsaSelector> parseTlsaSelector(std::string_view text,
                                       TlsaStrictness strictness = TlsaStrictness::Strict);
/// "1", "sha2-256", "SHA256", "full".
Result<TlsaMatchingType> parseTlsaMatchingType(std::string_view text,
                                               TlsaStrictness strictness = TlsaStrictness::Strict);

/// Three white-space separated fields: "3 1 1", "dane-ee spki sha2-256", "DANE-TA 1 SHA2-512".
Result<TlsaParameters> parseTlsaParameters(std::string_view text,
                                           TlsaStrictness strictness = TlsaStrictness::Strict);

/// RFC 7218 names: "PKIX-TA" "PKIX-EE" "DANE-TA" "DANE-EE"; unassigned values as their number.
std::string tlsaUsageName(TlsaUsage usage);
/// "Cert" "SPKI"; unassigned values as their number.
std::string tlsaSelectorName(TlsaSelector selector);
/// "Full" "SHA2-256" "SHA2-512"; unassigned values as their number.
std::string tlsaMatchingTypeName(TlsaMatchingType matching_type);
/// "DANE-EE SPKI SHA2-256", for messages and reports.
std::string tlsaParametersName(const TlsaParameters& parameters);
/// "3 1 1", the presentation-format prefix.
std::string tlsaParametersNumbers(const TlsaParameters& parameters);

/// True for the values RFC 6698 assigns (and daneguard therefore understands).
bool isAssigned(TlsaUsage usage);
bool isAssigned(TlsaSelector selector);
bool isAssigned(TlsaMatchingType matching_type);
bool isAssigned(const TlsaParameters& parameters);

}  // namespace daneguard
