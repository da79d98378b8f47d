// What the rollover planner is told: per service, the certificates' wanted TLSA records, the
// latest answer of every authoritative server for every owner name, the zone's SOA facts, what
// daneguard owns, and the facts the state store recorded earlier (record_history.hpp).
//
// All values are plain data gathered by the shell (app/). The planner never queries, reads a
// clock or remembers anything itself, so feeding it the same input always yields the same plan,
// and a rerun after a crash derives its next step from what is observable plus what was recorded.
#pragma once

#include <algorithm>
#include <chrono>
#include <compare>
#include <optional>
#include <string>
#include <vector>

#include "core/rollover/record_history.hpp"
#include "core/tlsa/tlsa_record.hpp"

namespace daneguard {

using Instant = std::chrono::sys_seconds;
using Duration = std::chrono::seconds;

struct AuthoritativeServer {
  std::string name;     // "ns2.example.test"
  std::string address;  // "127.0.0.3" or "::1"

  /// "ns2.example.test (127.0.0.3)": how every message names a server.
  [[nodiscard]] std::string describe() const;
  auto operator<=>(const AuthoritativeServer&) const = default;
};

enum class AnswerKind {
  Rrset,        // a TLSA RRset with its TTL
  NoRrset,      // NXDOMAIN or NODATA: resolvers cache the denial for the negative TTL
  QueryFailed,  // timeout, SERVFAIL, REFUSED, ...: unknown, so never assumed to be either
};

/// The latest answer of one authoritative server for one owner name.
struct ServerAnswer {
  AuthoritativeServer server;
  AnswerKind kind = AnswerKind::NoRrset;
  std::vector<TlsaRecord> records;  // only for Rrset
  Duration ttl{0};                  // only for Rrset
  std::string failure;              // only for QueryFailed: "timeout after 3 tries", ...

  static ServerAnswer rrset(AuthoritativeServer server, std::vector<TlsaRecord> records,
                            Duration ttl);
  static ServerAnswer noRrset(AuthoritativeServer server);
  static ServerAnswer failed(AuthoritativeServer server, std::string failure);

  [[nodiscard]] bool serves(const TlsaRecord& record) const;
};

/// RFC 2308 §5: a denial is cached for min(SOA MINIMUM, TTL of the SOA record).
struct SoaFacts {
  Duration minimum{0};
  Duration soa_ttl{0};

  [[nodiscard]] Duration negativeTtl() const { return std::min(minimum, soa_ttl); }
};

struct OwnerState {
  /// Where the records live and are published: the configured owner, or the target of the CNAME
  /// that owner is (RFC 7672 §2.2.3: `_25._tcp.mx1 CNAME _dane.example.com`).
  std::string owner;                   // "_25._tcp.mail.example.test."
  SoaFacts soa;                        // of the zone holding the owner
  std::vector<ServerAnswer> answers;   // one per authoritative server (hidden primary included)
  std::vector<TlsaRecord> owned;       // records daneguard published here and has not retired
  std::vector<RecordHistory> history;  // recorded facts (RecordFact actions merged)
  /// Configured owner names that are CNAMEs to `owner` (empty: `owner` is configured itself).
  std::vector<std::string> aliases;
  /// Longest TTL of those CNAMEs. A resolver holds the alias and the target RRset as separate
  /// cache entries, and a forwarder may pass the expanded answer on with the remaining TTLs
  /// restarted, so the cache window counts both: (RRset exposure + cname_ttl) x factor.
  Duration cname_ttl{0};
};

/// The records one certificate (or staged key) needs at every owner of its service.
struct CertificateRecords {
  std::string id;                   // stable identifier: fingerprint or serial; empty = none
  std::vector<TlsaRecord> records;  // as daneguard would publish them (e.g. one `3 1 1`)
};

struct ServiceState {
  std::string name;
  std::vector<OwnerState> owners;  // every port x host name the certificate is served on
  CertificateRecords deployed;     // what the last successful deploy installed
  CertificateRecords candidate;    // what should be served; equal id = nothing to do
  std::optional<CertificateRecords> next_key;  // staged key, published long before use
  std::optional<std::string> verified_id;      // candidate id a probe confirmed as served
  /// Candidate id that every endpoint was seen serving before any deploy (a probe found the
  /// operator or a crashed run already installed it): the hook is not run again, only the
  /// records are reconciled. Only set by a shell that probes.
  std::optional<std::string> served_id;
};

struct RolloverPolicy {
  /// Multiplies the longest cacheable TTL. 1 is exact for unicast servers that were all
  /// observed; 2 (default) covers anycast instances and clock error (docs/rollover.md).
  int cache_factor = 2;
  Duration margin{60};
  /// How long records may stay invisible on some server before the service is Blocked.
  Duration propagation_timeout{3600};
  Duration record_ttl{3600};  // TTL of records daneguard adds
  Duration poll_interval{60};
  /// Plan Verify after a deploy and retire nothing until verified_id == candidate id.
  bool verify_after_deploy = false;
};

struct RolloverInput {
  std::vector<ServiceState> services;
  RolloverPolicy policy;
  Instant now{};
};

}  // namespace daneguard
