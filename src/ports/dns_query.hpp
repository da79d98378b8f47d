// Port: plain DNS queries sent straight to authoritative servers (no recursion), and the
// discovery built on them (zone apex of an owner name, every address of a zone's servers).
//
// A reply with any rcode is an answer, not an error: NXDOMAIN and NODATA are facts the planner
// needs (negative caching), and REFUSED/SERVFAIL from one server says something about that
// server only. Errors are reserved for "no usable reply": timeouts (Transient), malformed or
// mismatched replies (ProtocolViolation), unusable server addresses (Config).
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "core/tlsa/tlsa_record.hpp"

namespace daneguard::ports {

// TODO(merge): DomainName. Until then every name crossing a DNS port is a std::string in
// canonical form: lower case, absolute (trailing dot), e.g. "_25._tcp.mail.example.test.".

/// A name server endpoint. `host` is an IP literal (v4 or v6, without brackets) or a host name;
/// the port defaults to 53.
struct DnsServer {
  std::string host;
  std::uint16_t port = 53;

  /// "127.0.0.1:5353", "[::1]:53": the form every message uses.
  [[nodiscard]] std::string toString() const {
    const bool is_v6_literal = host.find(':') != std::string::npos;
    return (is_v6_literal ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
  auto operator<=>(const DnsServer&) const = default;
};

/// Parses "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT" (a bare v6 literal without a port is also
/// accepted, since it cannot be ambiguous with a port suffix only when bracketed: "::1" works).
inline Result<DnsServer> parseDnsServer(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return fail(ErrorKind::InvalidInput,
                "name server '" + std::string(text) + "': " + std::string(why));
  };
  DnsServer server;
  std::string_view port_text;
  if (text.empty()) return bad("empty");
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return bad("missing ']' after IPv6 address");
    server.host = std::string(text.substr(1, close - 1));
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("expected ':PORT' after ']'");
      port_text = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') > 1) {
    server.host = std::string(text);  // bare IPv6 literal, default port
  } else if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    server.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  } else {
    server.host = std::string(text);
  }
  if (server.host.empty()) return bad("no host");
  if (!port_text.empty() || text.back() == ':') {
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535)
      return bad("port must be a number from 1 to 65535");
    server.port = static_cast<std::uint16_t>(port);
  }
  return server;
}

enum class DnsType : std::uint16_t {
  A = 1,
  NS = 2,
  CNAME = 5,
  SOA = 6,
  TXT = 16,
  AAAA = 28,
  DS = 43,
  RRSIG = 46,
  DNSKEY = 48,
  TLSA = 52,
};

/// Header rcodes (4 bits) plus the TSIG error codes (RFC 8945) reported in the TSIG RR.
enum class DnsRcode : std::uint16_t {
  NoError = 0,
  FormErr = 1,
  ServFail = 2,
  NxDomain = 3,
  NotImp = 4,
  Refused = 5,
  YxDomain = 6,
  YxRrset = 7,
  NxRrset = 8,
  NotAuth = 9,
  NotZone = 10,
  BadSig = 16,
  BadKey = 17,
  BadTime = 18,
  BadTrunc = 22,
};

inline std::string rcodeName(DnsRcode rcode) {
  switch (rcode) {
    case DnsRcode::NoError:
      return "NOERROR";
    case DnsRcode::FormErr:
      return "FORMERR";
    case DnsRcode::ServFail:
      return "SERVFAIL";
    case DnsRcode::NxDomain:
      return "NXDOMAIN";
    case DnsRcode::NotImp:
      return "NOTIMP";
    case DnsRcode::Refused:
      return "REFUSED";
    case DnsRcode::YxDomain:
      return "YXDOMAIN";
    case DnsRcode::YxRrset:
      return "YXRRSET";
    case DnsRcode::NxRrset:
      return "NXRRSET";
    case DnsRcode::NotAuth:
      return "NOTAUTH";
    case DnsRcode::NotZone:
      return "NOTZONE";
    case DnsRcode::BadSig:
      return "BADSIG";
    case DnsRcode::BadKey:
      return "BADKEY";
    case DnsRcode::BadTime:
      return "BADTIME";
    case DnsRcode::BadTrunc:
      return "BADTRUNC";
  }
  return "RCODE" + std::to_string(static_cast<unsigned>(rcode));
}

/// One resource record as received. `rdata` is the uncompressed wire form (the canonical
/// thing to compare); `rdata_text` is the presentation form for messages.
struct DnsRecord {
  std::string owner;
  DnsType type = DnsType::A;
  std::uint32_t ttl = 0;
  Bytes rdata;
  std::string rdata_text;

  /// The TLSA value, if this is a well-formed TLSA record (RFC 6698 §2.1).
  [[nodiscard]] std::optional<TlsaRecord> asTlsa() const {
    if (type != DnsType::TLSA || rdata.size() < 3) return std::nullopt;
    TlsaRecord record;
    record.parameters.usage = static_cast<TlsaUsage>(rdata[0]);
    record.parameters.selector = static_cast<TlsaSelector>(rdata[1]);
    record.parameters.matching_type = static_cast<TlsaMatchingType>(rdata[2]);
    record.data.assign(rdata.begin() + 3, rdata.end());
    return record;
  }
};

struct SoaRecord {
  std::string zone;  // the SOA's owner: the zone apex
  std::uint32_t ttl = 0;
  std::string primary_ns;
  std::uint32_t serial = 0;
  std::uint32_t refresh = 0;
  std::uint32_t retry = 0;
  std::uint32_t expire = 0;
  std::uint32_t minimum = 0;

  /// RFC 2308 §5: how long a resolver may cache the non-existence of a record.
  [[nodiscard]] std::uint32_t negativeTtl() const { return std::min(minimum, ttl); }
};

struct DnsQuestion {
  DnsServer server;
  std::string name;  // canonical, see above
  DnsType type = DnsType::SOA;
  /// Only for questions to a recursive resolver (NS host names outside the zone).
  bool recursion_desired = false;
};

struct DnsAnswer {
  DnsServer server;
  DnsRcode rcode = DnsRcode::NoError;
  bool authoritative = false;  // AA bit
  bool over_tcp = false;       // UDP reply was truncated (or TCP was forced)
  std::vector<DnsRecord> answer;
  std::vector<DnsRecord> authority;
  /// The zone's SOA from the authority section of a negative answer (NXDOMAIN or NODATA).
  std::optional<SoaRecord> authority_soa;
  /// The SOA from the answer section (when SOA was asked and the name is a zone apex).
  std::optional<SoaRecord> answer_soa;

  /// Records of `type` owned by `name` in the answer section (RRSIGs excluded unless asked for).
  [[nodiscard]] std::vector<DnsRecord> recordsOf(std::string_view name, DnsType type) const {
    std::vector<DnsRecord> out;
    for (const auto& record : answer)
      if (record.type == type && record.owner == name) out.push_back(record);
    return out;
  }
  [[nodiscard]] std::vector<TlsaRecord> tlsaRecords(std::string_view name) const {
    std::vector<TlsaRecord> out;
    for (const auto& record : recordsOf(name, DnsType::TLSA))
      if (auto tlsa = record.asTlsa()) out.push_back(std::move(*tlsa));
    return out;
  }
  /// True when the answer carries an RRSIG covering `type` at `name` (signed zone, DO=1).
  [[nodiscard]] bool isSigned(std::string_view name, DnsType type) const {
    return std::any_of(answer.begin(), answer.end(), [&](const DnsRecord& record) {
      return record.type == DnsType::RRSIG && record.owner == name && record.rdata.size() >= 2 &&
             ((record.rdata[0] << 8) | record.rdata[1]) == static_cast<int>(type);
    });
  }
  /// NOERROR with no record of the asked type (RFC 2308 NODATA).
  [[nodiscard]] bool isNoData(std::string_view name, DnsType type) const {
    return rcode == DnsRcode::NoError && recordsOf(name, type).empty();
  }
};

class DnsQuery {
 public:
  virtual ~DnsQuery() = default;

  virtual Result<DnsAnswer> query(const DnsQuestion& question) = 0;

  /// Sends every question, at most the adapter's in-flight bound at once; results are in the
  /// order of `questions`. One slow or dead server never delays the others beyond its timeout.
  virtual std::vector<Result<DnsAnswer>> queryAll(std::span<const DnsQuestion> questions) = 0;

  Result<DnsAnswer> query(const DnsServer& server, const std::string& name, DnsType type) {
    return query(DnsQuestion{server, name, type, false});
  }
};

/// One address to check for a zone: "ns2.example.test. (127.0.0.2:53)".
struct AuthoritativeServer {
  std::string name;  // NS host name, or "update target" / "extra server" for configured ones
  DnsServer address;

  [[nodiscard]] std::string label() const { return name + " (" + address.toString() + ")"; }
};

struct ZoneApex {
  std::string zone;  // canonical apex name
  SoaRecord soa;
};

class ZoneLocator {
 public:
  virtual ~ZoneLocator() = default;

  /// The apex of the zone holding `owner`, as the update target sees it.
  virtual Result<ZoneApex> discoverZone(const std::string& owner) = 0;

  /// Every address of every NS of `zone`, plus the update target and configured extra servers,
  /// without duplicates. Fails when any NS name resolves to no address at all: a server that
  /// cannot be checked must stop a rollover, not be skipped silently.
  virtual Result<std::vector<AuthoritativeServer>> authoritativeAddresses(
      const std::string& zone) = 0;
};

}  // namespace daneguard::ports
