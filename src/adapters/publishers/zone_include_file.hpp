// The include file of a `type = "zonefile"` publisher: daneguard's TLSA records of one zone,
// one canonical presentation line each, after a header that marks the file as daneguard's:
//
//   ; daneguard include file for zone example.com. (publisher 'local-bind')
//   ; Written by daneguard: do not edit. It refuses to change a file it did not write.
//   _25._tcp.mail.example.com. 3600 IN TLSA 3 1 1 8cb0...
//
// Owner names are absolute, so $ORIGIN at the $INCLUDE does not matter. Parsing is strict: a
// file that does not start with the header, or that holds any line daneguard would not write,
// is refused, so that an operator's hand-written file is never overwritten. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/tlsa/tlsa_record.hpp"

namespace daneguard::adapters::publishers {

struct IncludedRecord {
  std::string owner;  // canonical, absolute
  std::uint32_t ttl = 0;
  TlsaRecord record;
  auto operator<=>(const IncludedRecord&) const = default;
};

struct ZoneInclude {
  std::optional<std::string> zone;  // absent for an empty (new) file
  std::vector<IncludedRecord> records;
};

/// `text` as read from `path` (for messages). An empty text is an empty include.
Result<ZoneInclude> parseZoneInclude(std::string_view text, std::string_view path);

/// The file text: header, then the records sorted by owner and data.
std::string formatZoneInclude(const ZoneInclude& include, std::string_view publisher);

}  // namespace daneguard::adapters::publishers
