#include "sim/sim_world.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "core/digest.hpp"
#include "core/rollover/rollover_planner.hpp"

namespace daneguard::sim {
namespace {

Bytes fakeDer(std::string_view kind, int number) {
  const std::string text = fmt::format("{}-{}", kind, number);
  return Bytes(text.begin(), text.end());
}

TlsaRecord spkiSha256(TlsaUsage usage, std::string_view kind, int number) {
  return TlsaRecord{TlsaParameters{usage, TlsaSelector::Spki, TlsaMatchingType::Sha256},
                    sha256(fakeDer(kind, number))};
}

}  // namespace

TlsaRecord daneEeRecord(int key) {
  return spkiSha256(TlsaUsage::DaneEe, "leaf-spki", key);
}
TlsaRecord daneTaRecord(int issuer) {
  return spkiSha256(TlsaUsage::DaneTa, "issuer-spki", issuer);
}

ServedDigests::ServedDigests(const SimCertificate& certificate)
    : leaf_spki_sha256(sha256(fakeDer("leaf-spki", certificate.key))),
      issuer_spki_sha256(sha256(fakeDer("issuer-spki", certificate.issuer))) {}

bool ServedDigests::matches(const TlsaRecord& record) const {
  const auto& p = record.parameters;
  if (p.selector != TlsaSelector::Spki || p.matching_type != TlsaMatchingType::Sha256) return false;
  if (p.usage == TlsaUsage::DaneEe) return record.data == leaf_spki_sha256;
  if (p.usage == TlsaUsage::DaneTa) return record.data == issuer_spki_sha256;
  return false;
}

bool matches(const SimCertificate& certificate, const TlsaRecord& record) {
  // Recomputed from the DER here on purpose: the oracle shares no record list with the driver.
  const auto& p = record.parameters;
  if (p.selector != TlsaSelector::Spki || p.matching_type != TlsaMatchingType::Sha256) return false;
  if (p.usage == TlsaUsage::DaneEe)
    return record.data == sha256(fakeDer("leaf-spki", certificate.key));
  if (p.usage == TlsaUsage::DaneTa)
    return record.data == sha256(fakeDer("issuer-spki", certificate.issuer));
  return false;
}

World::World(WorldConfig config, std::uint64_t seed, Instant start)
    : config_(std::move(config)), random_(seed), now_(start) {
  const auto secondaries = static_cast<std::size_t>(config_.secondaries);
  authorities_.push_back({"primary.example.test", "127.0.0.1"});  // hidden primary, queried too
  for (std::size_t i = 1; i <= secondaries; ++i)
    authorities_.push_back({fmt::format("ns{}.example.test", i), fmt::format("127.0.0.{}", i + 1)});
  secondary_serial_.assign(secondaries, 0);
  secondary_stopped_.assign(secondaries, false);
  if (config_.stopped_secondary_for && secondaries > 0) {
    secondary_stopped_[0] = true;
    schedule(now_ + *config_.stopped_secondary_for, Event::Kind::RestartSecondary, 0);
  }
  caches_.resize(static_cast<std::size_t>(config_.resolvers) * config_.owners.size());
  for (std::size_t slot = 0; slot < caches_.size(); ++slot)
    schedule(now_ + uniform(Duration{0}, Duration{120}), Event::Kind::ResolverFetch, slot);
}

void World::setServed(SimCertificate certificate) {
  served_ = std::move(certificate);
  served_digests_ = ServedDigests(served_);
}

void World::seedZone(const std::string& owner, Rrset rrset, std::vector<TlsaRecord> foreign) {
  for (ZoneVersion& version : versions_)
    if (!rrset.records.empty()) version[owner] = rrset;
  foreign_[owner].insert(foreign.begin(), foreign.end());
}

const std::vector<AuthoritativeServer>& World::authorities() const {
  return authorities_;
}

const Rrset& World::served(std::size_t authority, const std::string& owner) const {
  static const Rrset kNone;
  const ZoneVersion& version =
      authority == 0 ? versions_.back() : versions_[secondary_serial_[authority - 1]];
  const auto found = version.find(owner);
  return found == version.end() ? kNone : found->second;
}

const Rrset& World::primaryRrset(const std::string& owner) const {
  return served(0, owner);
}

ServerAnswer World::query(std::size_t authority, const std::string& owner) {
  const AuthoritativeServer& server = authorities_.at(authority);
  if (chance(config_.query_failure_rate)) return ServerAnswer::failed(server, "timeout");
  const Rrset& rrset = served(authority, owner);
  if (rrset.records.empty()) return ServerAnswer::noRrset(server);
  return ServerAnswer::rrset(server, rrset.records, rrset.ttl);
}

UpdateOutcome World::update(const std::string& owner, const std::vector<TlsaRecord>& add,
                            const std::vector<TlsaRecord>& remove, Duration ttl) {
  ++stats_.updates;
  if (chance(config_.update_lost_rate)) return UpdateOutcome::Lost;
  if (chance(config_.update_refused_rate)) return UpdateOutcome::Refused;
  raceChange(0);
  ZoneVersion next = versions_.back();
  Rrset& rrset = next[owner];
  for (const TlsaRecord& record : remove) {
    const auto found = std::ranges::find(rrset.records, record);
    if (found == rrset.records.end()) continue;
    if (served_digests_.matches(record))
      violation(fmt::format("UPDATE removed a record matching served {} at {}", served_.id, owner));
    if (foreign_[owner].contains(record))
      violation(fmt::format("UPDATE removed a foreign record at {}", owner));
    if (!published_by_daneguard_[owner].contains(record))
      violation(fmt::format("UPDATE removed a record daneguard never published at {}", owner));
    rrset.records.erase(found);
  }
  for (const TlsaRecord& record : add)
    if (std::ranges::find(rrset.records, record) == rrset.records.end())
      rrset.records.push_back(record);
  if (!add.empty()) rrset.ttl = ttl;  // one TTL per RRset (RFC 2181 §5.2), as BIND applies it
  if (rrset.records.empty()) next.erase(owner);
  versions_.push_back(std::move(next));
  for (std::size_t i = 0; i < secondary_serial_.size(); ++i)
    if (!secondary_stopped_[i])
      schedule(now_ + uniform(Duration{0}, config_.max_lag), Event::Kind::Transfer, i,
               versions_.size() - 1);
  checkInvariant("after UPDATE");
  return chance(config_.update_ambiguous_rate) ? UpdateOutcome::AppliedResponseLost
                                               : UpdateOutcome::Applied;
}

bool World::runDeployHook(const std::string& certificate_id) {
  if (chance(config_.hook_failure_rate)) return false;
  const auto found = std::ranges::find(certificates_, certificate_id, &SimCertificate::id);
  if (found == certificates_.end()) return false;
  ++stats_.deploys;
  setServed(*found);
  checkInvariant("after deploy hook");
  return true;
}

void World::markDaneguardPublished(const std::string& owner,
                                   const std::vector<TlsaRecord>& records) {
  published_by_daneguard_[owner].insert(records.begin(), records.end());
}

void World::advanceTo(Instant until) {
  while (!events_.empty() && events_.top().at <= until) {
    const Event event = events_.top();
    events_.pop();
    now_ = event.at;
    handle(event);
    ++stats_.events;
    checkInvariant("after world event");
  }
  now_ = std::max(now_, until);
}

void World::schedule(Instant at, Event::Kind kind, std::size_t target, std::size_t serial) {
  events_.push(Event{at, sequence_++, kind, target, serial});
}

void World::handle(const Event& event) {
  switch (event.kind) {
    case Event::Kind::Transfer:
      if (event.serial > secondary_serial_[event.target]) raceChange(event.target + 1);
      secondary_serial_[event.target] = std::max(secondary_serial_[event.target], event.serial);
      return;
    case Event::Kind::RestartSecondary:
      secondary_stopped_[event.target] = false;
      schedule(now_ + uniform(Duration{0}, config_.max_lag), Event::Kind::Transfer, event.target,
               versions_.size() - 1);
      return;
    case Event::Kind::ResolverFetch:
      resolverFetch(event.target);
      return;
  }
}

void World::fetch(std::size_t slot, std::size_t authority) {
  CacheEntry& cache = caches_[slot];
  if (now_ < cache.expires) return;  // a resolver answers from its cache while it is valid
  cache.rrset = served(authority, config_.owners[slot % config_.owners.size()]);
  const Duration ttl = cache.rrset.records.empty() ? config_.soa.negativeTtl() : cache.rrset.ttl;
  cache.expires = now_ + ttl;
  ++stats_.resolver_fetches;
}

void World::resolverFetch(std::size_t slot) {
  // Background traffic: a random authority, as a resolver choosing among the NS set does.
  fetch(slot, static_cast<std::size_t>(random_() % (secondary_serial_.size() + 1)));
  const Instant after = std::max(now_, caches_[slot].expires);
  schedule(after + uniform(Duration{0}, std::max(Duration{3600}, 4 * (after - now_))),
           Event::Kind::ResolverFetch, slot);
}

void World::raceChange(std::size_t authority) {
  // Adversarial timing: resolvers whose copy expired ask this authority in the last second
  // before its content changes, so they hold the outgoing version for its full TTL.
  for (std::size_t slot = 0; slot < caches_.size(); ++slot)
    if (now_ >= caches_[slot].expires && random_() % 2 == 0) fetch(slot, authority);
}

void World::checkInvariant(const std::string& when) {
  ++stats_.invariant_checks;
  auto covered = [&](const Rrset& rrset) {
    return rrset.records.empty() || std::ranges::any_of(rrset.records, [&](const TlsaRecord& r) {
             return served_digests_.matches(r);
           });
  };
  for (const std::string& owner : config_.owners)
    for (std::size_t a = 0; a <= secondary_serial_.size(); ++a)
      if (!covered(served(a, owner)))
        violation(
            fmt::format("{}: authority {} serves an RRset at {} without a record for "
                        "served {}",
                        when, authorities()[a].describe(), owner, served_.id));
  for (std::size_t slot = 0; slot < caches_.size(); ++slot)
    if (now_ < caches_[slot].expires && !covered(caches_[slot].rrset))
      violation(fmt::format(
          "{}: resolver {} holds an RRset at {} (until {}) without a record "
          "for served {}",
          when, slot / config_.owners.size(), config_.owners[slot % config_.owners.size()],
          formatInstant(caches_[slot].expires), served_.id));
}

void World::violation(std::string message) {
  if (violations_.size() < 5)
    violations_.push_back(fmt::format("{} at {}", message, formatInstant(now_)));
  else if (violations_.size() == 5)
    violations_.emplace_back("...");
}

bool World::chance(double rate) {
  return rate > 0 && std::uniform_real_distribution<double>(0, 1)(random_) < rate;
}

Duration World::uniform(Duration low, Duration high) {
  if (high <= low) return low;
  return low + Duration{static_cast<Duration::rep>(
                   random_() % static_cast<std::uint64_t>((high - low).count() + 1))};
}

}  // namespace daneguard::sim
