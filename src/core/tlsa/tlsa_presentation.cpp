#include "core/tlsa/tlsa_presentation.hpp"

#include <fmt/format.h>

#include "core/hex.hpp"

namespace daneguard {
namespace {

// RDLENGTH is 16 bits and three octets go to the parameters.
constexpr std::size_t kMaxRdataDataOctets = 65535 - 3;

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/// Splits off the next white-space separated word; empty when none is left.
std::string_view nextWord(std::string_view& rest) {
  std::size_t start = 0;
  while (start < rest.size() && isSpace(rest[start]))
    ++start;
  std::size_t end = start;
  while (end < rest.size() && !isSpace(rest[end]))
    ++end;
  const std::string_view word = rest.substr(start, end - start);
  rest.remove_prefix(end);
  return word;
}

Result<TlsaRecord> parseWith(std::string_view text, TlsaStrictness strictness) {
  std::string_view rest = text;
  const std::string_view usage_word = nextWord(rest);
  const std::string_view selector_word = nextWord(rest);
  const std::string_view matching_word = nextWord(rest);
  if (matching_word.empty()) {
    return fail(ErrorKind::InvalidInput,
                "TLSA record must have the form '<usage> <selector> <matching type> <hex data>' "
                "(e.g. '3 1 1 0a1b...'), but it has fewer than three fields");
  }
  auto usage = parseTlsaUsage(usage_word, strictness);
  if (!usage) return fail(std::move(usage).error());
  auto selector = parseTlsaSelector(selector_word, strictness);
  if (!selector) return fail(std::move(selector).error());
  auto matching_type = parseTlsaMatchingType(matching_word, strictness);
  if (!matching_type) return fail(std::move(matching_type).error());

  std::size_t data_start = 0;
  while (data_start < rest.size() && isSpace(rest[data_start]))
    ++data_start;
  if (data_start == rest.size()) {
    return fail(ErrorKind::InvalidInput,
                "TLSA record has no certificate association data after the three parameters");
  }
  auto data = parseHex(rest);
  if (!data) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("TLSA certificate association data: {}", data.error().message));
  }
  TlsaRecord record{TlsaParameters{*usage, *selector, *matching_type}, std::move(*data)};
  if (record.data.size() > kMaxRdataDataOctets) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("TLSA certificate association data is {} octets; a DNS record holds "
                            "at most {}",
                            record.data.size(), kMaxRdataDataOctets));
  }
  if (strictness == TlsaStrictness::Strict) {
    if (std::string defect = tlsaRecordDefect(record); !defect.empty()) {
      return fail(ErrorKind::InvalidInput, std::move(defect));
    }
    if (record.parameters.matching_type == TlsaMatchingType::Full &&
        record.data.size() > kMaxFullTlsaDataOctets) {
      return fail(ErrorKind::InvalidInput,
                  fmt::format("TLSA Full (matching type 0) data is {} octets, over daneguard's "
                              "limit of {}; publish a SHA2-256 digest instead",
                              record.data.size(), kMaxFullTlsaDataOctets));
    }
  }
  return record;
}

}  // namespace

Result<TlsaRecord> parseTlsaRdata(std::string_view text) {
  return parseWith(text, TlsaStrictness::Strict);
}

Result<TlsaRecord> parseTlsaRdataFromDns(std::string_view text) {
  return parseWith(text, TlsaStrictness::Lenient);
}

std::string formatTlsaRdata(const TlsaRecord& record) {
  return fmt::format("{} {}", tlsaParametersNumbers(record.parameters), toHex(record.data));
}

std::string tlsaRecordDefect(const TlsaRecord& record) {
  const TlsaParameters& p = record.parameters;
  if (!isAssigned(p.usage)) {
    return fmt::format("TLSA usage {} is not assigned (known: 0-3)",
                       static_cast<unsigned>(p.usage));
  }
  if (!isAssigned(p.selector)) {
    return fmt::format("TLSA selector {} is not assigned (known: 0-1)",
                       static_cast<unsigned>(p.selector));
  }
  if (!isAssigned(p.matching_type)) {
    return fmt::format("TLSA matching type {} is not assigned (known: 0-2)",
                       static_cast<unsigned>(p.matching_type));
  }
  const std::size_t size = record.data.size();
  switch (p.matching_type) {
    case TlsaMatchingType::Sha256:
      if (size != 32) {
        return fmt::format("TLSA SHA2-256 data must be 32 octets (64 hex digits), got {}", size);
      }
      break;
    case TlsaMatchingType::Sha512:
      if (size != 64) {
        return fmt::format("TLSA SHA2-512 data must be 64 octets (128 hex digits), got {}", size);
      }
      break;
    case TlsaMatchingType::Full:
      if (size == 0) return "TLSA Full (matching type 0) data is empty";
      break;
  }
  return {};
}

}  // namespace daneguard
