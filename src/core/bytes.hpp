// Owned byte strings (DER, digests, TLSA association data).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace daneguard {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

}  // namespace daneguard
