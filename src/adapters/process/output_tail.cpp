#include "adapters/process/output_tail.hpp"

#include <cstdint>

namespace daneguard::adapters::process {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr unsigned char kEscape = 0x1B;

bool isContinuation(unsigned char byte) {
  return (byte & 0xC0U) == 0x80U;
}

/// Length of the valid UTF-8 sequence starting at text[0] (RFC 3629: no overlongs, no
/// surrogates, nothing above U+10FFFF), or 0 when it is invalid.
std::size_t validSequenceLength(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;
    if (lead == 0xED) second_max = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;
    if (lead == 0xF4) second_max = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < second_min || byte(1) > second_max) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!isContinuation(byte(i))) return 0;
  }
  return length;
}

/// Bytes taken by the escape sequence starting at text[0] (== ESC); an unterminated one runs
/// to the end of the text.
std::size_t escapeSequenceLength(std::string_view text) {
  if (text.size() < 2) return text.size();
  const char kind = text[1];
  if (kind == '[') {  // CSI: parameters and intermediates, then one final byte 0x40..0x7E
    std::size_t i = 2;
    while (i < text.size() && text[i] >= 0x20 && text[i] <= 0x3F)
      ++i;
    return i < text.size() ? i + 1 : i;
  }
  if (kind == ']' || kind == 'P' || kind == '_' || kind == '^' || kind == 'X') {
    // OSC, DCS, APC, PM, SOS: a string ended by BEL or ST (ESC backslash).
    for (std::size_t i = 2; i < text.size(); ++i) {
      if (text[i] == '\a') return i + 1;
      if (static_cast<unsigned char>(text[i]) == kEscape && i + 1 < text.size() &&
          text[i + 1] == '\\') {
        return i + 2;
      }
    }
    return text.size();
  }
  return 2;  // two-byte sequences such as ESC c (reset) or ESC 7
}

bool isAllowedAscii(unsigned char byte) {
  return byte == '\n' || byte == '\t' || (byte >= 0x20 && byte != 0x7F);
}

/// Cuts `text` to at most `max_bytes` from its end without splitting a UTF-8 character.
std::string_view lastBytesAtCharBoundary(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t start = text.size() - max_bytes;
  while (start < text.size() && isContinuation(static_cast<unsigned char>(text[start])))
    ++start;
  return text.substr(start);
}

}  // namespace

std::string sanitizeForLog(std::string_view raw) {
  std::string clean;
  clean.reserve(raw.size());
  std::size_t i = 0;
  while (i < raw.size()) {
    const auto byte = static_cast<unsigned char>(raw[i]);
    if (byte == kEscape) {
      i += escapeSequenceLength(raw.substr(i));
    } else if (byte < 0x80) {
      if (isAllowedAscii(byte)) clean.push_back(raw[i]);
      ++i;
    } else if (const std::size_t length = validSequenceLength(raw.substr(i)); length == 0) {
      clean.append(kReplacement);
      ++i;
    } else {
      // C1 controls (U+0080..U+009F, encoded C2 80..C2 9F) include CSI for some terminals.
      const bool c1_control = byte == 0xC2 && static_cast<unsigned char>(raw[i + 1]) <= 0x9F;
      if (!c1_control) clean.append(raw.substr(i, length));
      i += length;
    }
  }
  return clean;
}

std::string lastLine(std::string_view text, std::size_t max_bytes) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  const std::size_t newline = text.rfind('\n');
  std::string_view line = newline == std::string_view::npos ? text : text.substr(newline + 1);
  if (line.size() <= max_bytes) return std::string(line);
  return "..." + std::string(lastBytesAtCharBoundary(line, max_bytes));
}

void OutputTail::append(std::string_view chunk) {
  total_ += chunk.size();
  if (chunk.size() >= cap_) {
    kept_.assign(chunk.substr(chunk.size() - cap_));
    return;
  }
  kept_.append(chunk);
  if (kept_.size() >= 2 * cap_) kept_.erase(0, kept_.size() - cap_);
}

std::string OutputTail::sanitizedTail() const {
  std::string_view raw = kept_;
  if (raw.size() > cap_) raw = raw.substr(raw.size() - cap_);
  // A cut through a multi-byte character would show up as replacement characters.
  if (total_ > raw.size()) {
    while (!raw.empty() && isContinuation(static_cast<unsigned char>(raw.front())))
      raw.remove_prefix(1);
  }
  const std::string clean = sanitizeForLog(raw);
  // Replacement characters can make the text longer than the raw bytes.
  return std::string(lastBytesAtCharBoundary(clean, cap_));
}

}  // namespace daneguard::adapters::process
