#include "adapters/config_toml/value_syntax.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>

namespace daneguard::adapters::config_toml {
namespace {

char lowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isLdh(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

std::optional<std::uint64_t> parseUnsigned(std::string_view digits) {
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), isDigit)) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

bool isIpLiteral(std::string_view text, int family) {
  const std::string copy(text);  // inet_pton needs a terminated string
  std::array<unsigned char, 16> buffer{};
  return inet_pton(family, copy.c_str(), buffer.data()) == 1;
}

Result<std::uint16_t> parsePort(std::string_view text) {
  const auto value = parseUnsigned(text);
  if (!value || *value < 1 || *value > 65535)
    return fail(ErrorKind::Config,
                fmt::format("invalid port '{}' (expected 1-65535)", printable(text)));
  return static_cast<std::uint16_t>(*value);
}

tl::unexpected<Error> badServerAddress(std::string_view text, std::string_view why) {
  return fail(ErrorKind::Config,
              fmt::format("invalid server address '{}': {}", printable(text), why));
}

/// A server address taken apart, before the port text is checked.
struct SplitServerAddress {
  std::string host;
  std::optional<std::string_view> port_text;
};

/// "[2001:db8::1]" or "[2001:db8::1]:53".
Result<SplitServerAddress> splitBracketedIpv6(std::string_view text) {
  const auto close = text.find(']');
  if (close == std::string_view::npos) return badServerAddress(text, "missing ']'");
  SplitServerAddress split;
  split.host = std::string(text.substr(1, close - 1));
  if (!isIpLiteral(split.host, AF_INET6))
    return badServerAddress(text, "not an IPv6 address inside [...]");
  const std::string_view rest = text.substr(close + 1);
  if (!rest.empty()) {
    if (rest.front() != ':') return badServerAddress(text, "expected ':<port>' after ']'");
    split.port_text = rest.substr(1);
  }
  return split;
}

/// A bare IPv6 address; a port would be ambiguous without brackets.
Result<SplitServerAddress> splitBareIpv6(std::string_view text) {
  if (!isIpLiteral(text, AF_INET6))
    return badServerAddress(
        text, "not an IPv6 address (write an address with a port as [2001:db8::1]:53)");
  return SplitServerAddress{std::string(text), std::nullopt};
}

/// An IPv4 address or a host name, each optionally followed by ":<port>".
Result<SplitServerAddress> splitHostAndPort(std::string_view text) {
  const auto colon = text.find(':');
  const std::string_view host = text.substr(0, colon);
  SplitServerAddress split;
  if (colon != std::string_view::npos) split.port_text = text.substr(colon + 1);
  if (isIpLiteral(host, AF_INET)) {
    split.host = std::string(host);
    return split;
  }
  auto name = parseHostName(host, false);
  if (!name) return fail(ErrorKind::Config, name.error().message);
  split.host = std::move(*name);
  return split;
}

Result<std::uint16_t> choosePort(std::string_view text, std::optional<std::string_view> port_text,
                                 std::optional<std::uint16_t> default_port) {
  if (port_text) {
    auto port = parsePort(*port_text);
    if (!port) return badServerAddress(text, port.error().message);
    return *port;
  }
  if (default_port) return *default_port;
  return badServerAddress(text, "a port is required (host:port)");
}

}  // namespace

Result<std::chrono::seconds> parseDuration(std::string_view text) {
  const auto hint = [&] {
    return fmt::format(
        "invalid duration '{}' (expected a whole number with a unit s, m, h or d, such as "
        "\"90s\", \"5m\", \"1h\", \"2d\", or an integer number of seconds)",
        printable(text));
  };
  if (!text.empty() && text.front() == '-')
    return fail(ErrorKind::Config, fmt::format("duration '{}' is negative", printable(text)));
  if (text.size() < 2) return fail(ErrorKind::Config, hint());
  std::uint64_t unit_seconds = 0;
  switch (text.back()) {
    case 's':
      unit_seconds = 1;
      break;
    case 'm':
      unit_seconds = 60;
      break;
    case 'h':
      unit_seconds = 3600;
      break;
    case 'd':
      unit_seconds = 86400;
      break;
    default:
      return fail(ErrorKind::Config, hint());
  }
  const auto count = parseUnsigned(text.substr(0, text.size() - 1));
  if (!count) return fail(ErrorKind::Config, hint());
  const auto max_count = static_cast<std::uint64_t>(kMaxDuration.count()) / unit_seconds;
  if (*count > max_count)
    return fail(ErrorKind::Config,
                fmt::format("duration '{}' is longer than the maximum of 365d", printable(text)));
  return std::chrono::seconds(static_cast<std::int64_t>(*count * unit_seconds));
}

Result<std::string> parseHostName(std::string_view text, bool require_qualified) {
  const auto bad = [&](std::string_view why) {
    return fail(ErrorKind::Config, fmt::format("invalid host name '{}': {}", printable(text), why));
  };
  if (text.empty()) return fail(ErrorKind::Config, "empty host name");
  std::string_view name = text;
  if (name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return bad("the root is not a host");
  if (name.size() > 253) return bad("longer than 253 characters");
  for (const char c : name) {
    if (static_cast<unsigned char>(c) >= 0x80)
      return bad("non-ASCII characters; write internationalised names as A-labels (xn--...)");
    if (c == '*') return bad("wildcards are not host names; list each host");
    if (c != '.' && !isLdh(c)) return bad("only letters, digits, '-' and '.' are allowed");
  }
  std::size_t labels = 0;
  std::string_view last_label;
  for (std::size_t start = 0; start <= name.size();) {
    const std::size_t dot = std::min(name.find('.', start), name.size());
    const std::string_view label = name.substr(start, dot - start);
    if (label.empty()) return bad("empty label (two dots in a row or a leading dot)");
    if (label.size() > 63) return bad("a label is longer than 63 characters");
    if (label.front() == '-' || label.back() == '-') return bad("a label starts or ends with '-'");
    ++labels;
    last_label = label;
    start = dot + 1;
  }
  if (require_qualified) {
    if (labels < 2)
      return bad("not a fully qualified name (TLSA records need a name such as mail.example.com)");
    if (std::all_of(last_label.begin(), last_label.end(), isDigit))
      return bad("looks like an IP address; TLSA records are published under DNS names");
  }
  std::string canonical(name);
  std::transform(canonical.begin(), canonical.end(), canonical.begin(), lowerAscii);
  return canonical;
}

Result<config::ServerAddress> parseServerAddress(std::string_view text,
                                                 std::optional<std::uint16_t> default_port) {
  if (text.empty()) return fail(ErrorKind::Config, "empty server address");
  auto split = text.front() == '['                             ? splitBracketedIpv6(text)
               : std::count(text.begin(), text.end(), ':') > 1 ? splitBareIpv6(text)
                                                               : splitHostAndPort(text);
  if (!split) return fail(split.error());
  config::ServerAddress address;
  address.host = std::move(split->host);
  auto port = choosePort(text, split->port_text, default_port);
  if (!port) return fail(port.error());
  address.port = *port;
  return address;
}

std::size_t editDistance(std::string_view a, std::string_view b) {
  // Optimal string alignment: a swapped pair of letters ("sevrices") counts as one edit.
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = lowerAscii(a[i - 1]) == lowerAscii(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lowerAscii(a[i - 1]) == lowerAscii(b[j - 2]) &&
          lowerAscii(a[i - 2]) == lowerAscii(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::optional<std::string> closestMatch(std::string_view word,
                                        const std::vector<std::string>& candidates) {
  // Long keys tolerate more typos; short ones would otherwise "match" almost anything.
  if (word.size() > 64) return std::nullopt;  // keeps the quadratic distance cheap
  const std::size_t allowed = word.size() <= 4 ? 1 : (word.size() <= 8 ? 2 : 3);
  std::optional<std::string> best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const auto& candidate : candidates) {
    const std::size_t distance = editDistance(word, candidate);
    if (distance <= allowed && distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string printable(std::string_view text, std::size_t max_length) {
  std::string out;
  for (const char c : text) {
    if (out.size() >= max_length) {
      out += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f)
      out += fmt::format("\\x{:02x}", byte);
    else
      out += c;
  }
  return out;
}

}  // namespace daneguard::adapters::config_toml
