// The small textual grammars inside config values: durations, host names, server addresses,
// TLSA parameter triples, plus the helpers that make messages useful ("did you mean ...?")
// and safe (no control characters from the file reach a terminal). Messages carry no location;
// the schema code prefixes "<file>:<line>:<column>: <key path>: ".
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"
#include "core/error.hpp"
#include "core/tlsa/tlsa_record.hpp"

namespace daneguard::adapters::config_toml {

/// Longest duration accepted anywhere: larger values are typos, not intentions.
inline constexpr std::chrono::seconds kMaxDuration{365LL * 24 * 3600};

/// "90s", "5m", "1h", "2d" (one number, one unit). Zero is returned as zero; callers decide.
Result<std::chrono::seconds> parseDuration(std::string_view text);

/// LDH host name check (RFC 1123 labels, 253 octets). Returns it lower-cased without a trailing
/// dot. `require_qualified` demands at least two labels and a non-numeric last label.
Result<std::string> parseHostName(std::string_view text, bool require_qualified);

/// "host", "host:port", "192.0.2.1:53", "[2001:db8::1]:53", "[::1]", or a bare IPv6 address.
/// `default_port` empty means the port is required.
Result<config::ServerAddress> parseServerAddress(std::string_view text,
                                                 std::optional<std::uint16_t> default_port);

/// Optimal-string-alignment distance, ASCII case-insensitive.
std::size_t editDistance(std::string_view a, std::string_view b);

/// The candidate closest to `word` if it is a plausible typo of it, for "did you mean".
std::optional<std::string> closestMatch(std::string_view word,
                                        const std::vector<std::string>& candidates);

/// `text` safe to print: non-printable bytes as \xNN, cut to `max_length` with "...".
std::string printable(std::string_view text, std::size_t max_length = 64);

}  // namespace daneguard::adapters::config_toml
