#include "adapters/state/state_schema.hpp"

#include <array>

namespace daneguard::adapters::state {
namespace {

// STRICT tables (SQLite >= 3.37) reject a value of the wrong type instead of silently storing
// it. Times are integer Unix seconds, durations integer seconds. A service row exists for every
// service that anything was recorded for, so the other tables can reference it.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE services (
  name        TEXT PRIMARY KEY NOT NULL,
  deployed_id TEXT NOT NULL DEFAULT '',  -- '' = nothing deployed by daneguard yet
  deployed_at INTEGER,
  verified_id TEXT,                      -- candidate id a probe confirmed as served
  verified_at INTEGER
) STRICT;

-- The TLSA records of the deployed certificate, in the order they were given.
CREATE TABLE deployed_records (
  service       TEXT NOT NULL REFERENCES services (name),
  position      INTEGER NOT NULL,
  usage         INTEGER NOT NULL CHECK (usage BETWEEN 0 AND 255),
  selector      INTEGER NOT NULL CHECK (selector BETWEEN 0 AND 255),
  matching_type INTEGER NOT NULL CHECK (matching_type BETWEEN 0 AND 255),
  data          BLOB NOT NULL,
  PRIMARY KEY (service, position)
) STRICT;

-- Records daneguard published (or is about to publish) and may therefore delete again.
CREATE TABLE owned_records (
  service       TEXT NOT NULL REFERENCES services (name),
  owner         TEXT NOT NULL,
  usage         INTEGER NOT NULL CHECK (usage BETWEEN 0 AND 255),
  selector      INTEGER NOT NULL CHECK (selector BETWEEN 0 AND 255),
  matching_type INTEGER NOT NULL CHECK (matching_type BETWEEN 0 AND 255),
  data          BLOB NOT NULL,
  UNIQUE (service, owner, usage, selector, matching_type, data)
) STRICT;

-- Observed facts per record (core/rollover/record_history.hpp), merged by mergeRecordFact.
CREATE TABLE record_history (
  service              TEXT NOT NULL REFERENCES services (name),
  owner                TEXT NOT NULL,
  usage                INTEGER NOT NULL CHECK (usage BETWEEN 0 AND 255),
  selector             INTEGER NOT NULL CHECK (selector BETWEEN 0 AND 255),
  matching_type        INTEGER NOT NULL CHECK (matching_type BETWEEN 0 AND 255),
  data                 BLOB NOT NULL,
  longest_ttl_without  INTEGER,
  negative_ttl_without INTEGER,
  missing_since        INTEGER,
  visible_since        INTEGER,
  UNIQUE (service, owner, usage, selector, matching_type, data)
) STRICT;

-- Completed deploys, oldest first by id.
CREATE TABLE rollovers (
  id          INTEGER PRIMARY KEY,
  service     TEXT NOT NULL REFERENCES services (name),
  from_id     TEXT NOT NULL,  -- '' for the first deployment
  to_id       TEXT NOT NULL,
  deployed_at INTEGER NOT NULL
) STRICT;
CREATE INDEX rollovers_by_service ON rollovers (service, id);
)sql";

constexpr std::array<const char*, 1> kMigrations = {kVersion1};

}  // namespace

std::span<const char* const> stateMigrations() {
  return kMigrations;
}

}  // namespace daneguard::adapters::state
