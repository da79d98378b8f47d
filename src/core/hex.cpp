#include "core/hex.hpp"

#include <fmt/format.h>

namespace daneguard {
namespace {

int hexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isHexSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

std::string toHex(ByteView bytes) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

Result<Bytes> parseHex(std::string_view text) {
  Bytes out;
  out.reserve(text.size() / 2);
  int pending = -1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (isHexSpace(c)) continue;
    const int value = hexDigitValue(c);
    if (value < 0) {
      const bool printable = c > 0x20 && c < 0x7f;
      return fail(ErrorKind::InvalidInput,
                  printable ? fmt::format("invalid hex digit '{}' at position {}", c, i + 1)
                            : fmt::format("invalid hex digit (byte 0x{:02x}) at position {}",
                                          static_cast<unsigned char>(c), i + 1));
    }
    if (pending < 0) {
      pending = value;
    } else {
      out.push_back(static_cast<std::uint8_t>((pending << 4) | value));
      pending = -1;
    }
  }
  if (pending >= 0) return fail(ErrorKind::InvalidInput, "odd number of hex digits");
  return out;
}

}  // namespace daneguard
