// Port: one atomic RFC 2136 UPDATE of TLSA records, signed by the adapter (TSIG).
//
// Changes are record-level on purpose: additions add single RRs and deletions remove single RRs
// (RFC 2136 §2.5.4), so records at the same name that daneguard does not own are never touched.
// There is deliberately no "delete RRset" operation. Prerequisites (§2.4) turn an update into a
// compare-and-swap against concurrent editors.
//
// Failure kinds: Rejected (REFUSED, NOTZONE, NOTAUTH without TSIG error), AuthFailure (TSIG
// BADKEY/BADSIG), ClockSkew (BADTIME), PreconditionFailed (a prerequisite did not hold),
// Transient (nothing was sent successfully, SERVFAIL), Ambiguous (the update was sent but no
// trustworthy reply came: re-query before retrying), Config (bad key or request).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/tlsa/tlsa_record.hpp"
#include "ports/dns_query.hpp"

namespace daneguard::ports {

// TODO(merge): DomainName for zone and owner names (canonical std::string until then).

struct TlsaRecordAt {
  std::string owner;  // e.g. "_25._tcp.mail.example.test."
  TlsaRecord record;
};

struct UpdatePrerequisite {
  enum class Kind {
    TlsaRrsetEquals,  // §2.4.2 RRset exists (value dependent): exactly `records`, nothing else
    TlsaRrsetExists,  // §2.4.1 RRset exists (value independent)
    TlsaRrsetAbsent,  // §2.4.3 RRset does not exist
    NameInUse,        // §2.4.4
    NameNotInUse,     // §2.4.5
  };
  Kind kind = Kind::TlsaRrsetExists;
  std::string owner;
  std::vector<TlsaRecord> records;  // only for TlsaRrsetEquals
};

struct UpdateRequest {
  DnsServer server;  // the primary (possibly hidden) that accepts updates
  std::string zone;  // apex, see ZoneLocator::discoverZone
  std::vector<UpdatePrerequisite> prerequisites;
  std::vector<TlsaRecordAt> additions;
  std::vector<TlsaRecordAt> deletions;
  /// TTL for added records. RFC 2181 §5.2: one TTL per RRset, so callers pass the RRset's TTL.
  std::uint32_t ttl_seconds = 3600;
};

struct UpdateOutcome {
  DnsServer server;
  std::string zone;
  std::size_t added = 0;  // records sent as additions (adding an existing RR is a no-op)
  std::size_t deleted = 0;
  bool over_tcp = false;
};

class DnsUpdate {
 public:
  virtual ~DnsUpdate() = default;
  virtual Result<UpdateOutcome> apply(const UpdateRequest& request) = 0;
};

}  // namespace daneguard::ports
