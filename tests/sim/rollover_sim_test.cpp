// Drives the real planner through random worlds, an exhaustive crash sweep, and two deliberately
// unsafe variants that the invariant checker must catch. DANEGUARD_SIM_SEEDS=<n> raises the seed
// count; DANEGUARD_SIM_SEED=<n> replays one world.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>

#include "sim/sim_scenario.hpp"

namespace daneguard::sim {
namespace {

std::optional<std::uint64_t> environmentNumber(const char* name) {
  const char* text = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): single-threaded test
  if (text == nullptr || *text == '\0') return std::nullopt;
  return std::strtoull(text, nullptr, 10);
}

struct Totals {
  std::uint64_t seeds = 0, events = 0, checks = 0, fetches = 0, updates = 0, deploys = 0, runs = 0,
                plans = 0, actions = 0, failed_actions = 0, blocked = 0, crashes = 0,
                boundaries = 0, rollovers = 0, failed_seeds = 0;
  Duration simulated{0};

  void add(const ScenarioResult& r) {
    ++seeds;
    events += r.world.events;
    checks += r.world.invariant_checks;
    fetches += r.world.resolver_fetches;
    updates += r.world.updates;
    deploys += r.world.deploys;
    runs += r.driver.runs;
    plans += r.driver.plans;
    actions += r.driver.actions;
    failed_actions += r.driver.failed_actions;
    blocked += r.driver.blocked_plans;
    crashes += r.crashes;
    boundaries += r.boundaries;
    rollovers += static_cast<std::uint64_t>(r.rollovers_completed);
    simulated += r.simulated;
    if (!r.failures.empty()) ++failed_seeds;
  }

  void print(const char* what) const {
    fmt::print(
        "{}: {} seeds, {} rollovers completed, {:.1f} simulated days\n"
        "  world events {}, invariant checks {}, resolver fetches {}, UPDATEs {}, deploys {}\n"
        "  shell runs {}, plans {}, actions {} ({} failed), Blocked plans {}, crashes {} "
        "(side-effect boundaries {}), failing seeds {}\n",
        what, seeds, rollovers, static_cast<double>(simulated.count()) / 86400.0, events, checks,
        fetches, updates, deploys, runs, plans, actions, failed_actions, blocked, crashes,
        boundaries, failed_seeds);
  }
};

ScenarioOptions withoutFaults() {
  ScenarioOptions options;
  options.faults = false;
  options.random_crashes = false;
  return options;
}

void reportFailure(std::uint64_t seed, const ScenarioResult& result, const std::string& extra) {
  std::string text = fmt::format("DANEGUARD_SIM_SEED={}{} ({})", seed, extra, result.summary);
  for (const std::string& failure : result.failures)
    text += "\n  " + failure;
  ADD_FAILURE() << text;
}

TEST(RolloverSimulation, RandomWorldsKeepTheServedCertificateCoveredAndFinish) {
  const auto started = std::chrono::steady_clock::now();
  std::uint64_t first = 1;
  std::uint64_t count = environmentNumber("DANEGUARD_SIM_SEEDS").value_or(2000);
  if (const auto replay = environmentNumber("DANEGUARD_SIM_SEED")) {
    first = *replay;
    count = 1;
  }
  Totals totals;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    const ScenarioResult result = runScenario(seed, ScenarioOptions{});
    totals.add(result);
    if (!result.failures.empty()) reportFailure(seed, result, "");
    if (count == 1) fmt::print("seed {}: {}\n", seed, result.summary);
  }
  totals.print("random worlds");
  fmt::print("  wall time {} ms\n", std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now() - started)
                                        .count());
  EXPECT_EQ(totals.failed_seeds, 0u);
  EXPECT_GE(totals.rollovers, totals.seeds) << "every world completes at least one rollover";
  EXPECT_GT(totals.crashes, 0u);
  EXPECT_GT(totals.blocked, 0u) << "stopped secondaries must reach the propagation timeout";
  EXPECT_GT(totals.failed_actions, 0u) << "the fault mix must actually produce failures";
}

TEST(RolloverSimulation, CrashBeforeAndAfterEverySideEffectStillCompletesSafely) {
  const std::uint64_t worlds = environmentNumber("DANEGUARD_SIM_CRASH_WORLDS").value_or(8);
  Totals totals;
  for (std::uint64_t seed = 1; seed <= worlds; ++seed) {
    const ScenarioOptions clean = withoutFaults();
    const ScenarioResult baseline = runScenario(seed, clean);
    totals.add(baseline);
    if (!baseline.failures.empty()) reportFailure(seed, baseline, " (no crash)");
    for (std::uint64_t boundary = 1; boundary <= baseline.boundaries; ++boundary) {
      // A crash at the boundary, and a second one during the recovery run.
      for (const std::vector<std::uint64_t>& crash_at :
           {std::vector<std::uint64_t>{boundary}, {boundary, boundary + 2}}) {
        ScenarioOptions options = clean;
        options.crash_at = crash_at;
        const ScenarioResult result = runScenario(seed, options);
        totals.add(result);
        EXPECT_GE(result.crashes, 1u);
        if (!result.failures.empty())
          reportFailure(seed, result, fmt::format(" crash_at={}", fmt::join(crash_at, ",")));
      }
    }
  }
  totals.print("crash sweep");
  EXPECT_EQ(totals.failed_seeds, 0u);
  EXPECT_GT(totals.crashes, 2 * worlds * 10) << "expected many boundaries per world";
}

std::uint64_t seedsWithViolations(const ScenarioOptions& options, std::uint64_t seeds) {
  std::uint64_t violating = 0;
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    const ScenarioResult result = runScenario(seed, options);
    if (result.failures.empty()) continue;
    if (violating++ == 0)  // show what a caught violation looks like
      fmt::print("  first: DANEGUARD_SIM_SEED={} {}\n", seed, result.failures.front());
  }
  return violating;
}

TEST(RolloverSimulation, CheckerCatchesDeployingWithoutTheCacheWait) {
  ScenarioOptions unsafe = withoutFaults();
  unsafe.cache_factor = 0;
  unsafe.margin = Duration{0};
  const std::uint64_t violating = seedsWithViolations(unsafe, 100);
  fmt::print("cache factor 0: {} of 100 worlds violate the invariant\n", violating);
  EXPECT_GT(violating, 5u);
}

TEST(RolloverSimulation, CheckerCatchesReplacingTheWholeRrset) {
  ScenarioOptions unsafe = withoutFaults();
  unsafe.replace_whole_rrset = true;
  const std::uint64_t violating = seedsWithViolations(unsafe, 100);
  fmt::print("replace whole RRset: {} of 100 worlds delete records they do not own\n", violating);
  EXPECT_GT(violating, 5u);
}

TEST(RolloverSimulation, FactorOneIsExactForUnicastAuthoritiesWeObserve) {
  // Every authority is observed and resolvers keep copies exactly for their TTL, so one TTL
  // after full visibility suffices here; the default 2 covers what a simulation cannot see.
  ScenarioOptions exact{};
  exact.cache_factor = 1;
  exact.margin = Duration{0};
  EXPECT_EQ(seedsWithViolations(exact, 200), 0u);
}

}  // namespace
}  // namespace daneguard::sim
