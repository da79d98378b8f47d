// Keeps the last bytes a child process wrote to one stream, and turns them into text that is
// safe to put in a log line or an error message: a hook may print megabytes, binary junk,
// terminal escape sequences (which could rewrite an operator's terminal) or NUL bytes (which
// truncate C strings in log shippers). Memory stays bounded by about twice the cap.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace daneguard::adapters::process {

/// Valid UTF-8 without NUL, escape sequences (CSI, OSC, DCS, two-byte ESC) or other control
/// characters (C0 except tab and newline, DEL, C1); invalid bytes become U+FFFD.
std::string sanitizeForLog(std::string_view raw);

/// The last non-empty line of `text` (already sanitized), shortened to about `max_bytes`.
std::string lastLine(std::string_view text, std::size_t max_bytes = 300);

class OutputTail {
 public:
  explicit OutputTail(std::size_t cap_bytes) : cap_(cap_bytes) {}

  void append(std::string_view chunk);

  [[nodiscard]] std::size_t totalBytes() const { return total_; }
  /// The kept bytes, sanitized and at most cap bytes long.
  [[nodiscard]] std::string sanitizedTail() const;

 private:
  std::size_t cap_;
  std::size_t total_ = 0;
  std::string kept_;  // raw bytes; trimmed to the last cap_ whenever it reaches 2 * cap_
};

}  // namespace daneguard::adapters::process
