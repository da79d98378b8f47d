// A deterministic DNS + endpoint world for rollover simulations: a primary and secondaries that
// copy its versions after a lag (and can be stopped), resolvers that cache what they fetched for
// its TTL (or the negative TTL), a served certificate that a deploy hook changes, and faults.
//
// The world also owns the coverage invariant (engineering-notes §3.3): after every event it
// checks that the served certificate matches a record of every RRset any resolver holds and any
// authority serves, and that no removal ever takes a record matching the served certificate or a
// record daneguard did not publish. Matching here uses its own digest oracle, not the planner's
// record sets, so a planner bug cannot hide behind a shared definition.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/rollover/rollover_input.hpp"

namespace daneguard::sim {

/// A certificate as the world knows it: its key and issuer decide what TLSA data matches it.
struct SimCertificate {
  std::string id;
  int key = 0;
  int issuer = 0;
};

/// The TLSA records a certificate matches, computed from fake DER with SHA-256.
TlsaRecord daneEeRecord(int key);     // 3 1 1 over the key's SPKI
TlsaRecord daneTaRecord(int issuer);  // 2 1 1 over the issuer's SPKI
bool matches(const SimCertificate& certificate, const TlsaRecord& record);

/// The served certificate's digests, computed once per deploy so checks stay cheap.
class ServedDigests {
 public:
  ServedDigests() = default;
  explicit ServedDigests(const SimCertificate& certificate);
  [[nodiscard]] bool matches(const TlsaRecord& record) const;

 private:
  Bytes leaf_spki_sha256;
  Bytes issuer_spki_sha256;
};

struct Rrset {
  std::vector<TlsaRecord> records;  // empty: no RRset (NXDOMAIN/NODATA)
  Duration ttl{0};
};
using ZoneVersion = std::map<std::string, Rrset>;

enum class UpdateOutcome { Applied, Lost, AppliedResponseLost, Refused };

struct WorldConfig {
  std::vector<std::string> owners;
  int secondaries = 1;
  Duration max_lag{600};
  SoaFacts soa{Duration{300}, Duration{3600}};
  int resolvers = 4;
  double query_failure_rate = 0;
  double update_lost_rate = 0;
  double update_ambiguous_rate = 0;
  double update_refused_rate = 0;
  double hook_failure_rate = 0;
  std::optional<Duration> stopped_secondary_for;  // secondary 1 stopped from the start
};

struct WorldStats {
  std::uint64_t events = 0;
  std::uint64_t invariant_checks = 0;
  std::uint64_t resolver_fetches = 0;
  std::uint64_t updates = 0;
  std::uint64_t deploys = 0;
};

class World {
 public:
  World(WorldConfig config, std::uint64_t seed, Instant start);

  /// Initial content before the rollover; `foreign` records belong to someone else.
  void seedZone(const std::string& owner, Rrset rrset, std::vector<TlsaRecord> foreign);
  void setServed(SimCertificate certificate);
  void setCertificates(std::vector<SimCertificate> known) { certificates_ = std::move(known); }

  // --- what the shell (driver) can do ---
  [[nodiscard]] const std::vector<AuthoritativeServer>& authorities() const;
  ServerAnswer query(std::size_t authority, const std::string& owner);
  UpdateOutcome update(const std::string& owner, const std::vector<TlsaRecord>& add,
                       const std::vector<TlsaRecord>& remove, Duration ttl);
  bool runDeployHook(const std::string& certificate_id);
  [[nodiscard]] std::string probeServed() const { return served_.id; }
  [[nodiscard]] const SoaFacts& soa() const { return config_.soa; }

  // --- time ---
  [[nodiscard]] Instant now() const { return now_; }
  /// Runs world events (transfers, resolver fetches) strictly before `until`, then sets now.
  void advanceTo(Instant until);

  // --- checks ---
  void checkInvariant(const std::string& when);
  [[nodiscard]] const std::vector<std::string>& violations() const { return violations_; }
  [[nodiscard]] const WorldStats& stats() const { return stats_; }
  [[nodiscard]] const Rrset& primaryRrset(const std::string& owner) const;
  [[nodiscard]] const SimCertificate& served() const { return served_; }
  void markDaneguardPublished(const std::string& owner, const std::vector<TlsaRecord>& records);
  std::mt19937_64& random() { return random_; }

 private:
  struct Event {
    Instant at;
    std::uint64_t sequence;
    enum class Kind { Transfer, ResolverFetch, RestartSecondary } kind;
    std::size_t target;  // secondary index or resolver*owners+owner
    std::size_t serial;
    bool operator>(const Event& other) const {
      return at != other.at ? at > other.at : sequence > other.sequence;
    }
  };
  struct CacheEntry {
    Rrset rrset;
    Instant expires{};
  };

  void schedule(Instant at, Event::Kind kind, std::size_t target, std::size_t serial = 0);
  void handle(const Event& event);
  void resolverFetch(std::size_t slot);
  void fetch(std::size_t slot, std::size_t authority);
  void raceChange(std::size_t authority);
  const Rrset& served(std::size_t authority, const std::string& owner) const;
  bool chance(double rate);
  Duration uniform(Duration low, Duration high);
  void violation(std::string message);

  WorldConfig config_;
  std::mt19937_64 random_;
  Instant now_;
  std::uint64_t sequence_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::vector<AuthoritativeServer> authorities_;
  std::vector<ZoneVersion> versions_{ZoneVersion{}};  // by serial; [0] before seeding
  std::vector<std::size_t> secondary_serial_;
  std::vector<bool> secondary_stopped_;
  std::vector<CacheEntry> caches_;  // resolver * owners + owner
  std::map<std::string, std::set<TlsaRecord>> foreign_;
  std::map<std::string, std::set<TlsaRecord>> published_by_daneguard_;
  SimCertificate served_;
  ServedDigests served_digests_;
  std::vector<SimCertificate> certificates_;
  std::vector<std::string> violations_;
  WorldStats stats_;
};

}  // namespace daneguard::sim
