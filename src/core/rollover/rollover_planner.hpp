// The rollover planner: a pure function from observations, recorded facts, policy and `now` to
// the next actions (RFC 7671 §8.1 "publish, wait, deploy, verify, retire"; dane-rules.md).
//
// Guarantees, given a shell that follows rollover_plan.hpp:
// - records are only ever added next to existing ones; retired records are owned, observed,
//   and match neither the deployed certificate, the candidate nor the staged next key; the last
//   record matching what is deployed is never removed;
// - Deploy is planned only when every authoritative server answered for every owner and serves
//   every candidate record, and the cache window (docs/rollover.md) has elapsed since they all
//   did; or at once when every record matching the deployed certificate also matches the
//   candidate (key reuse), which needs no DNS change;
// - a failed query never counts as "serves" nor as "does not serve".
#pragma once

#include <string>

#include "core/rollover/rollover_input.hpp"
#include "core/rollover/rollover_plan.hpp"

namespace daneguard {

RolloverPlan planRollover(const RolloverInput& input);

/// "2026-11-26T03:00:00Z".
std::string formatInstant(Instant instant);

}  // namespace daneguard
