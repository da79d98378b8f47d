#include "sim/sim_scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <set>

namespace daneguard::sim {
namespace {

using namespace std::chrono_literals;

const Instant kStart = std::chrono::sys_days{std::chrono::year{2026} / 11 / 26} + 0s;
const std::vector<std::string> kOwners = {
    "_25._tcp.mx1.example.test.", "_25._tcp.mx2.example.test.", "_443._tcp.www.example.test."};

template <class T>
const T& pick(std::mt19937_64& random, const std::vector<T>& choices) {
  return choices[random() % choices.size()];
}

bool chance(std::mt19937_64& random, int percent) {
  return static_cast<int>(random() % 100) < percent;
}

/// Everything drawn from the seed before the world starts.
struct Scenario {
  WorldConfig world;
  ServiceConfig service;
  RolloverPolicy policy;
  Duration initial_ttl{3600};
  bool first_enablement = false;
  bool foreign_records = false;
  bool second_rollover = false;
  std::vector<std::uint64_t> crash_at;
  std::string summary;
};

WorldConfig drawWorld(std::mt19937_64& random, bool faults) {
  WorldConfig world;
  world.owners.assign(kOwners.begin(), kOwners.begin() + 1 + random() % kOwners.size());
  world.secondaries = static_cast<int>(random() % 4);
  world.max_lag = pick(random, std::vector<Duration>{0s, 30s, 600s, 3600s, 7200s});
  world.soa = {pick(random, std::vector<Duration>{60s, 300s, 3600s, 86400s}),
               pick(random, std::vector<Duration>{300s, 3600s, 86400s})};
  world.resolvers = 4;
  if (!faults) return world;
  world.query_failure_rate = 0.03;
  world.update_lost_rate = 0.03;
  world.update_ambiguous_rate = 0.03;
  world.update_refused_rate = 0.02;
  world.hook_failure_rate = 0.05;
  if (world.secondaries > 0 && chance(random, 15))
    world.stopped_secondary_for = Duration{random() % (4 * 3600)};
  return world;
}

Scenario drawScenario(std::uint64_t seed, const ScenarioOptions& options) {
  std::mt19937_64 random(seed * 0x9E3779B97F4A7C15ULL + 1);
  Scenario s;
  s.world = drawWorld(random, options.faults);
  s.initial_ttl = pick(random, std::vector<Duration>{60s, 300s, 3600s, 86400s});
  s.first_enablement = chance(random, 15);
  s.foreign_records = !s.first_enablement && chance(random, 40);
  s.service.owners = s.world.owners;
  s.service.with_issuer_records = chance(random, 30);
  const bool key_reuse = chance(random, 25);
  const int issuer = chance(random, 50) ? 11 : 10;
  s.service.certificates = {{"cert-old", 1, 10},
                            {"cert-new", key_reuse ? 1 : 2, issuer},
                            {"cert-next", 3, issuer},
                            {"cert-later", 5, issuer}};
  s.service.candidate_id = "cert-new";
  if (chance(random, 30)) s.service.next_key = 3;
  s.second_rollover = chance(random, 50);
  s.policy.record_ttl = pick(random, std::vector<Duration>{60s, 300s, 3600s});
  s.policy.propagation_timeout = pick(random, std::vector<Duration>{600s, 3600s, 7200s});
  s.policy.poll_interval = pick(random, std::vector<Duration>{60s, 300s, 600s});
  s.policy.verify_after_deploy = chance(random, 50);
  if (options.cache_factor) s.policy.cache_factor = *options.cache_factor;
  if (options.margin) s.policy.margin = *options.margin;
  s.crash_at = options.crash_at;
  if (options.random_crashes && chance(random, 10)) {
    s.crash_at.push_back(1 + random() % 40);
    if (chance(random, 30)) s.crash_at.push_back(s.crash_at.back() + 1 + random() % 10);
  }
  s.summary = fmt::format(
      "owners={} secondaries={} lag<={}s ttl={}s new_ttl={}s negative={}s first={} reuse={} "
      "issuer_records={} next_key={} foreign={} second={} verify={} stopped={} crash_at={}",
      s.world.owners.size(), s.world.secondaries, s.world.max_lag.count(), s.initial_ttl.count(),
      s.policy.record_ttl.count(), s.world.soa.negativeTtl().count(), s.first_enablement, key_reuse,
      s.service.with_issuer_records, s.service.next_key.has_value(), s.foreign_records,
      s.second_rollover, s.policy.verify_after_deploy, s.world.stopped_secondary_for.has_value(),
      fmt::join(s.crash_at, ","));
  return s;
}

std::vector<TlsaRecord> recordsOf(const SimCertificate& certificate, bool with_issuer) {
  std::vector<TlsaRecord> records{daneEeRecord(certificate.key)};
  if (with_issuer) records.push_back(daneTaRecord(certificate.issuer));
  return records;
}

void seedWorld(World& world, RecordedState& state, const Scenario& s) {
  world.setCertificates(s.service.certificates);
  world.setServed(s.service.certificates[0]);
  state.deployed_id = "cert-old";
  const auto deployed = recordsOf(s.service.certificates[0], s.service.with_issuer_records);
  for (std::size_t i = 0; i < s.world.owners.size(); ++i) {
    const std::string& owner = s.world.owners[i];
    std::vector<TlsaRecord> foreign;
    if (s.foreign_records) foreign.push_back(daneEeRecord(900 + static_cast<int>(i)));
    Rrset rrset{foreign, s.initial_ttl};
    if (!s.first_enablement) {
      rrset.records.insert(rrset.records.end(), deployed.begin(), deployed.end());
      state.owned[owner] = deployed;
      world.markDaneguardPublished(owner, deployed);
    }
    world.seedZone(owner, rrset, foreign);
  }
}

/// After a rollover: the candidate is served and every owner holds exactly what is wanted.
void checkFinished(const World& world, const Scenario& s, ScenarioResult& result) {
  if (world.served().id != s.service.candidate_id)
    result.failures.push_back(fmt::format("finished while serving {} instead of {}",
                                          world.served().id, s.service.candidate_id));
  const auto candidate =
      std::ranges::find(s.service.certificates, s.service.candidate_id, &SimCertificate::id);
  for (std::size_t i = 0; i < s.world.owners.size(); ++i) {
    std::set<TlsaRecord> expected;
    for (const TlsaRecord& r : recordsOf(*candidate, s.service.with_issuer_records))
      expected.insert(r);
    if (s.service.next_key) expected.insert(daneEeRecord(*s.service.next_key));
    if (s.foreign_records) expected.insert(daneEeRecord(900 + static_cast<int>(i)));
    const auto& served = world.primaryRrset(s.world.owners[i]).records;
    if (std::set<TlsaRecord>(served.begin(), served.end()) != expected)
      result.failures.push_back(fmt::format("finished with {} record(s) at {}, expected {}",
                                            served.size(), s.world.owners[i], expected.size()));
  }
}

/// Starts the next renewal: the staged key becomes the certificate's key when there is one.
void startSecondRollover(Scenario& s) {
  if (s.service.next_key) {
    s.service.candidate_id = "cert-next";
    s.service.next_key = 4;
  } else {
    s.service.candidate_id = "cert-later";
  }
  s.service.computeRecords();
}

}  // namespace

ScenarioResult runScenario(std::uint64_t seed, const ScenarioOptions& options) {
  Scenario s = drawScenario(seed, options);
  s.service.computeRecords();
  ScenarioResult result;
  result.summary = s.summary;
  World world(s.world, seed, kStart);
  RecordedState state;
  seedWorld(world, state, s);
  world.checkInvariant("at start");
  CrashInjector crashes;
  crashes.crashAt(s.crash_at);
  Instant next = kStart;
  Instant deadline = kStart + 20 * 24h;
  while (true) {
    world.advanceTo(next);
    if (world.now() > deadline) {
      result.failures.push_back(
          fmt::format("rollover to {} did not finish within 20 days", s.service.candidate_id));
      break;
    }
    std::optional<Instant> due;
    try {
      // A fresh shell every run: nothing but RecordedState carries over, as after a kill -9.
      Driver driver(world, s.service, s.policy, state, crashes, result.driver);
      driver.replace_whole_rrset = options.replace_whole_rrset;
      due = driver.run();
    } catch (const SimulatedCrash&) {
      ++result.crashes;
      due = world.now() + Duration{static_cast<Duration::rep>(world.random()() % 120)};
    }
    if (!due) {
      ++result.rollovers_completed;
      checkFinished(world, s, result);
      if (!s.second_rollover || result.rollovers_completed > 1) break;
      startSecondRollover(s);
      next = world.now() + Duration{static_cast<Duration::rep>(world.random()() % (3 * 86400))};
      deadline = next + 20 * 24h;
      continue;
    }
    next = std::max(*due, world.now() + 1s);
  }
  result.failures.insert(result.failures.begin(), world.violations().begin(),
                         world.violations().end());
  result.world = world.stats();
  result.boundaries = crashes.count();
  result.simulated = world.now() - kStart;
  return result;
}

}  // namespace daneguard::sim
