// ports::StateStore kept in one SQLite file, state_dir/state.sqlite3 (docs/state.md).
//
// Durability: journal_mode=DELETE with synchronous=FULL, so a call that returned Ok survives a
// crash or power loss, and every mutating call is one BEGIN IMMEDIATE transaction that leaves no
// trace when it fails. The caller holds the state directory's LockFile; the store does not lock.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string_view>

#include "adapters/state/sqlite_database.hpp"
#include "ports/state_store.hpp"

namespace daneguard::adapters::state {

struct SqliteStateStoreOptions {
  /// How long a call waits for another process's transaction before failing with Transient.
  std::chrono::milliseconds busy_timeout{5000};
};

class SqliteStateStore final : public ports::StateStore {
 public:
  static constexpr std::string_view kDatabaseFileName = "state.sqlite3";

  /// Creates `state_dir` (mode 0700) and the database (mode 0600) if missing, refuses a
  /// group- or world-writable directory, a file that is not a daneguard state database and one
  /// written by a newer daneguard, and brings an older schema up to date.
  static Result<std::unique_ptr<SqliteStateStore>> open(const std::filesystem::path& state_dir,
                                                        SqliteStateStoreOptions options = {});

  /// The number of schema migrations this build knows (the PRAGMA user_version it writes).
  static int schemaVersion();

  [[nodiscard]] const std::filesystem::path& databasePath() const { return database_.path(); }

  Result<ports::StoredService> loadService(std::string_view service) override;
  Result<void> recordFact(const RecordFact& fact) override;
  Result<void> addOwnedRecords(std::string_view service, std::string_view owner,
                               const std::vector<TlsaRecord>& records) override;
  Result<void> removeOwnedRecords(std::string_view service, std::string_view owner,
                                  const std::vector<TlsaRecord>& records) override;
  Result<void> recordDeployed(std::string_view service, const CertificateRecords& deployed,
                              std::chrono::sys_seconds at) override;
  Result<void> recordVerified(std::string_view service, std::string_view candidate_id,
                              std::chrono::sys_seconds at) override;
  Result<std::vector<ports::CompletedRollover>> rolloverHistory(std::string_view service) override;

 private:
  explicit SqliteStateStore(SqliteDatabase database) : database_(std::move(database)) {}

  /// Runs `body` inside one write transaction; commits when it succeeds, rolls back otherwise.
  /// Errors get `what` as context.
  template <class Body>
  Result<void> writeTransaction(std::string_view what, Body&& body);

  SqliteDatabase database_;
};

}  // namespace daneguard::adapters::state
