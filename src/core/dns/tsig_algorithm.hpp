// TSIG algorithms (RFC 8945) daneguard signs with, and the one parser of their names used by the
// configuration, the DaneBot-compatible flags and BIND key files alike.
//
// hmac-md5 is refused (RFC 8945 §6: MD5 must not be used). hmac-sha224 and hmac-sha384 are
// refused too: ldns 1.8.3 cannot sign with them, and a key that only fails at the first UPDATE
// is worse than one refused when the configuration is read.
#pragma once

#include <string_view>

#include "core/error.hpp"

namespace daneguard {

enum class TsigAlgorithm { HmacSha1, HmacSha256, HmacSha512 };

/// "hmac-sha256", as operators and BIND write it.
std::string_view tsigAlgorithmName(TsigAlgorithm algorithm);

/// Accepts "hmac-sha256", "HMAC-SHA256", "hmac-sha256." ...; ErrorKind::Config otherwise, with a
/// message that says what to use instead.
Result<TsigAlgorithm> parseTsigAlgorithm(std::string_view text);

}  // namespace daneguard
