// Zone include file format (see the header).
#include "adapters/publishers/zone_include_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <sstream>

#include "adapters/dns/dns_message.hpp"
#include "core/tlsa/tlsa_presentation.hpp"

namespace daneguard::adapters::publishers {
namespace {

constexpr std::string_view kHeaderStart = "; daneguard include file for zone ";
constexpr std::string_view kSecondLine =
    "; Written by daneguard: do not edit. It refuses to change a file it did not write.";

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t position = 0;
  while (position < line.size()) {
    const auto start = line.find_first_not_of(" \t", position);
    if (start == std::string_view::npos) break;
    const auto end = std::min(line.find_first_of(" \t", start), line.size());
    out.push_back(line.substr(start, end - start));
    position = end;
  }
  return out;
}

}  // namespace

Result<ZoneInclude> parseZoneInclude(std::string_view text, std::string_view path) {
  ZoneInclude include;
  if (text.empty()) return include;
  const auto refuse = [&](std::size_t line_number, std::string_view why) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("{}:{}: {}; daneguard changes only include files it wrote itself "
                            "(move this file away, or name another file)",
                            path, line_number, why));
  };
  std::istringstream lines{std::string(text)};
  std::string line;
  std::size_t line_number = 0;
  while (std::getline(lines, line)) {
    ++line_number;
    if (line_number == 1) {
      if (line.rfind(kHeaderStart, 0) != 0)
        return refuse(1, "does not start with daneguard's header");
      const auto zone_words = words(std::string_view(line).substr(kHeaderStart.size()));
      if (zone_words.empty() || zone_words.front().back() != '.')
        return refuse(1, "the header names no zone");
      include.zone = dns::canonicalName(zone_words.front());
      continue;
    }
    if (line_number == 2) {
      if (line != kSecondLine) return refuse(2, "is not daneguard's second header line");
      continue;
    }
    if (line.empty()) continue;
    const auto fields = words(line);
    if (fields.size() != 8 || fields[2] != "IN" || fields[3] != "TLSA")
      return refuse(line_number, "is not a line of the form 'OWNER TTL IN TLSA U S M HEX'");
    IncludedRecord record;
    record.owner = std::string(fields[0]);
    if (record.owner != dns::canonicalName(record.owner) ||
        !dns::isAtOrBelow(record.owner, *include.zone))
      return refuse(line_number, fmt::format("owner {} is not a canonical name in zone {}",
                                             fields[0], *include.zone));
    const auto [end, error] =
        std::from_chars(fields[1].data(), fields[1].data() + fields[1].size(), record.ttl);
    if (error != std::errc() || end != fields[1].data() + fields[1].size() ||
        record.ttl > static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max()))
      return refuse(line_number, "the TTL is not a number of seconds");
    auto rdata =
        parseTlsaRdata(fmt::format("{} {} {} {}", fields[4], fields[5], fields[6], fields[7]));
    if (!rdata) return refuse(line_number, rdata.error().message);
    record.record = std::move(*rdata);
    include.records.push_back(std::move(record));
  }
  if (line_number < 2) return refuse(line_number, "ends inside daneguard's header");
  return include;
}

std::string formatZoneInclude(const ZoneInclude& include, std::string_view publisher) {
  std::vector<IncludedRecord> records = include.records;
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.owner, a.record) < std::tie(b.owner, b.record);
  });
  std::string text = fmt::format("{}{} (publisher '{}')\n{}\n", kHeaderStart,
                                 include.zone.value_or("."), publisher, kSecondLine);
  for (const IncludedRecord& record : records)
    text +=
        fmt::format("{} {} IN TLSA {}\n", record.owner, record.ttl, formatTlsaRdata(record.record));
  return text;
}

}  // namespace daneguard::adapters::publishers
