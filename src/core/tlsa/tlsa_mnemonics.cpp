#include "core/tlsa/tlsa_mnemonics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <utility>
#include <vector>

namespace daneguard {
namespace {

struct Mnemonic {
  std::string_view name;  // canonical RFC 7218 spelling
  std::uint8_t value;
};

constexpr std::array kUsageNames{Mnemonic{"PKIX-TA", 0}, Mnemonic{"PKIX-EE", 1},
                                 Mnemonic{"DANE-TA", 2}, Mnemonic{"DANE-EE", 3}};
constexpr std::array kSelectorNames{Mnemonic{"Cert", 0}, Mnemonic{"SPKI", 1}};
// "SHA256"/"SHA512" are not RFC 7218 names but are what people type; accepted, never printed.
constexpr std::array kMatchingTypeNames{Mnemonic{"Full", 0}, Mnemonic{"SHA2-256", 1},
                                        Mnemonic{"SHA2-512", 2}, Mnemonic{"SHA256", 1},
                                        Mnemonic{"SHA512", 2}};
constexpr std::size_t kPrintedMatchingTypeNames = 3;

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

/// The value of a decimal number, capped at 256 so that the caller can say "out of range";
/// nullopt when the text is not a decimal number at all.
std::optional<unsigned> parseSmallNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = std::min(value * 10 + static_cast<unsigned>(c - '0'), 256U);
  }
  return value;
}

std::string quoted(std::string_view text) {
  std::string out = "'";
  for (const char c : text.substr(0, 40)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte >= 0x20 && byte < 0x7f) ? std::string(1, c) : fmt::format("\\x{:02x}", byte);
  }
  if (text.size() > 40) out += "...";
  return out + "'";
}

template <std::size_t N>
Result<std::uint8_t> parseField(std::string_view text, std::string_view field,
                                const std::array<Mnemonic, N>& names, std::size_t printed_names,
                                unsigned max_assigned, TlsaStrictness strictness) {
  std::vector<std::string_view> accepted;
  for (std::size_t i = 0; i < printed_names; ++i)
    accepted.push_back(names[i].name);
  const std::string expected =
      fmt::format("expected 0-{} or one of {}", max_assigned, fmt::join(accepted, ", "));
  if (const auto number = parseSmallNumber(text)) {
    if (*number > 255) {
      return fail(ErrorKind::InvalidInput,
                  fmt::format("TLSA {} {} is out of range (a TLSA field is 0-255; {})", field,
                              quoted(text), expected));
    }
    if (*number > max_assigned && strictness == TlsaStrictness::Strict) {
      return fail(ErrorKind::InvalidInput, fmt::format("TLSA {} {} is not an assigned value ({})",
                                                       field, *number, expected));
    }
    return static_cast<std::uint8_t>(*number);
  }
  for (const auto& mnemonic : names) {
    if (equalsIgnoringCase(text, mnemonic.name)) return mnemonic.value;
  }
  return fail(ErrorKind::InvalidInput,
              fmt::format("TLSA {} {} is neither a number nor a known name ({})", field,
                          quoted(text), expected));
}

template <std::size_t N>
std::string nameOf(std::uint8_t value, const std::array<Mnemonic, N>& names) {
  for (const auto& mnemonic : names) {
    if (mnemonic.value == value) return std::string(mnemonic.name);
  }
  return std::to_string(value);
}

std::vector<std::string_view> splitWords(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i]))
      ++i;
    const std::size_t start = i;
    while (i < text.size() && !is_space(text[i]))
      ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

}  // namespace

Result<TlsaUsage> parseTlsaUsage(std::string_view text, TlsaStrictness strictness) {
  return parseField(text, "usage", kUsageNames, kUsageNames.size(), 3, strictness)
      .map([](std::uint8_t v) { return static_cast<TlsaUsage>(v); });
}

Result<TlsaSelector> parseTlsaSelector(std::string_view text, TlsaStrictness strictness) {
  return parseField(text, "selector", kSelectorNames, kSelectorNames.size(), 1, strictness)
      .map([](std::uint8_t v) { return static_cast<TlsaSelector>(v); });
}

Result<TlsaMatchingType> parseTlsaMatchingType(std::string_view text, TlsaStrictness strictness) {
  return parseField(text, "matching type", kMatchingTypeNames, kPrintedMatchingTypeNames, 2,
                    strictness)
      .map([](std::uint8_t v) { return static_cast<TlsaMatchingType>(v); });
}

Result<TlsaParameters> parseTlsaParameters(std::string_view text, TlsaStrictness strictness) {
  const auto words = splitWords(text);
  if (words.size() != 3) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("TLSA parameters {} must be three fields: usage selector matching-type "
                            "(e.g. '3 1 1' or 'DANE-EE SPKI SHA2-256'), got {}",
                            quoted(text), words.size()));
  }
  auto usage = parseTlsaUsage(words[0], strictness);
  if (!usage) return fail(std::move(usage).error());
  auto selector = parseTlsaSelector(words[1], strictness);
  if (!selector) return fail(std::move(selector).error());
  auto matching_type = parseTlsaMatchingType(words[2], strictness);
  if (!matching_type) return fail(std::move(matching_type).error());
  return TlsaParameters{*usage, *selector, *matching_type};
}

std::string tlsaUsageName(TlsaUsage usage) {
  return nameOf(static_cast<std::uint8_t>(usage), kUsageNames);
}
std::string tlsaSelectorName(TlsaSelector selector) {
  return nameOf(static_cast<std::uint8_t>(selector), kSelectorNames);
}
std::string tlsaMatchingTypeName(TlsaMatchingType matching_type) {
  return nameOf(static_cast<std::uint8_t>(matching_type), kMatchingTypeNames);
}

std::string tlsaParametersName(const TlsaParameters& parameters) {
  return fmt::format("{} {} {}", tlsaUsageName(parameters.usage),
                     tlsaSelectorName(parameters.selector),
                     tlsaMatchingTypeName(parameters.matching_type));
}

std::string tlsaParametersNumbers(const TlsaParameters& parameters) {
  return fmt::format("{} {} {}", static_cast<unsigned>(parameters.usage),
                     static_cast<unsigned>(parameters.selector),
                     static_cast<unsigned>(parameters.matching_type));
}

bool isAssigned(TlsaUsage usage) {
  return static_cast<unsigned>(usage) <= 3;
}
bool isAssigned(TlsaSelector selector) {
  return static_cast<unsigned>(selector) <= 1;
}
bool isAssigned(TlsaMatchingType matching_type) {
  return static_cast<unsigned>(matching_type) <= 2;
}
bool isAssigned(const TlsaParameters& parameters) {
  return isAssigned(parameters.usage) && isAssigned(parameters.selector) &&
         isAssigned(parameters.matching_type);
}

}  // namespace daneguard
