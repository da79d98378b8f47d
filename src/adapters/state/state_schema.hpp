// The state database's schema as an ordered list of migrations. PRAGMA user_version holds how
// many have been applied; a database with a higher number was written by a newer daneguard and
// is refused rather than guessed at. Never edit a released migration: append a new one.
#pragma once

#include <cstdint>
#include <span>

namespace daneguard::adapters::state {

/// PRAGMA application_id of daneguard state databases ("DGST"), so that `file` and daneguard
/// itself can tell them from any other SQLite file.
inline constexpr std::int32_t kStateApplicationId = 0x44475354;

/// Migration i (0-based) brings a database from user_version i to i + 1.
std::span<const char* const> stateMigrations();

}  // namespace daneguard::adapters::state
