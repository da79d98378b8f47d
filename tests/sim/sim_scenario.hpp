// Random rollover worlds drawn from a seed (topology, TTLs, key reuse or rotation, issuer
// records, a staged next key, a second rollover, faults, crashes), run to completion with the
// simulated shell, checked after every event and at the end. One seed = one reproducible world.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/sim_driver.hpp"
#include "sim/sim_world.hpp"

namespace daneguard::sim {

struct ScenarioOptions {
  bool faults = true;                   // query/update/hook faults, stopped secondary
  bool random_crashes = true;           // 10% of seeds crash at random boundaries
  std::vector<std::uint64_t> crash_at;  // explicit crash boundaries (1-based)
  std::optional<int> cache_factor;      // override the policy (checker-has-teeth tests)
  std::optional<Duration> margin;
  bool replace_whole_rrset = false;
};

struct ScenarioResult {
  std::vector<std::string> failures;  // invariant violations and liveness/final-state problems
  WorldStats world;
  DriverStats driver;
  std::uint64_t boundaries = 0;
  std::uint64_t crashes = 0;
  int rollovers_completed = 0;
  Duration simulated{0};
  std::string summary;  // the drawn world, for replay messages
};

ScenarioResult runScenario(std::uint64_t seed, const ScenarioOptions& options);

}  // namespace daneguard::sim
