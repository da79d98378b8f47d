// Hexadecimal text <-> bytes. Formatting is lower case (the RFC 6698 presentation format is
// case-insensitive; dig prints upper case, so comparisons must never be on text).
#pragma once

#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace daneguard {

std::string toHex(ByteView bytes);

/// Accepts upper and lower case and ASCII white space between digits (RFC 6698 §2.2 allows the
/// data to be split into several words). Rejects odd digit counts and non-hex characters,
/// naming the offending character's position.
Result<Bytes> parseHex(std::string_view text);

}  // namespace daneguard
