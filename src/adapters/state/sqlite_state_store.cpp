#include "adapters/state/sqlite_state_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <utility>

#include "adapters/files/system_error.hpp"
#include "adapters/files/unique_fd.hpp"
#include "adapters/state/state_schema.hpp"

namespace daneguard::adapters::state {
namespace {

using files::systemError;
using files::UniqueFd;

std::int64_t unixSeconds(std::chrono::sys_seconds at) {
  return static_cast<std::int64_t>(at.time_since_epoch().count());
}

std::chrono::sys_seconds fromUnixSeconds(std::int64_t seconds) {
  return std::chrono::sys_seconds{std::chrono::seconds{seconds}};
}

std::optional<std::int64_t> optionalSeconds(const std::optional<std::chrono::seconds>& duration) {
  if (!duration) return std::nullopt;
  return static_cast<std::int64_t>(duration->count());
}

std::optional<std::int64_t> optionalUnixSeconds(const std::optional<std::chrono::sys_seconds>& at) {
  if (!at) return std::nullopt;
  return unixSeconds(*at);
}

std::optional<std::chrono::seconds> toDuration(std::optional<std::int64_t> seconds) {
  if (!seconds) return std::nullopt;
  return std::chrono::seconds{*seconds};
}

std::optional<std::chrono::sys_seconds> toInstant(std::optional<std::int64_t> seconds) {
  if (!seconds) return std::nullopt;
  return fromUnixSeconds(*seconds);
}

/// Binds usage, selector, matching type and data to parameters first .. first + 3.
void bindRecord(Statement& statement, int first, const TlsaRecord& record) {
  statement.bind(first, static_cast<std::int64_t>(record.parameters.usage))
      .bind(first + 1, static_cast<std::int64_t>(record.parameters.selector))
      .bind(first + 2, static_cast<std::int64_t>(record.parameters.matching_type))
      .bind(first + 3, ByteView(record.data));
}

/// Reads usage, selector, matching type and data from columns first .. first + 3. The schema's
/// CHECK constraints keep each number within its 8-bit field.
TlsaRecord readRecord(const Statement& statement, int first) {
  TlsaRecord record;
  record.parameters.usage = static_cast<TlsaUsage>(statement.integer(first));
  record.parameters.selector = static_cast<TlsaSelector>(statement.integer(first + 1));
  record.parameters.matching_type = static_cast<TlsaMatchingType>(statement.integer(first + 2));
  record.data = statement.blob(first + 3);
  return record;
}

bool sameHistory(const RecordHistory& a, const RecordHistory& b) {
  return a.record == b.record && a.longest_ttl_without == b.longest_ttl_without &&
         a.negative_ttl_without == b.negative_ttl_without && a.missing_since == b.missing_since &&
         a.visible_since == b.visible_since;
}

/// Makes sure the service has a row, which every other table references.
Result<void> ensureService(SqliteDatabase& database, std::string_view service) {
  auto insert =
      database.prepare("INSERT INTO services (name) VALUES (?1) ON CONFLICT (name) DO NOTHING");
  if (!insert) return fail(std::move(insert.error()));
  return insert->bind(1, service).run();
}

/// Creates every missing component of `directory` with mode 0700 and checks that nobody but
/// its owner can replace the database inside it.
Result<void> prepareStateDirectory(const std::filesystem::path& directory) {
  std::filesystem::path partial;
  for (const auto& component : directory) {
    partial /= component;
    struct stat status {};
    if (::stat(partial.c_str(), &status) == 0) continue;
    if (errno != ENOENT) return fail(systemError(partial, "inspect state directory", errno));
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      return fail(systemError(partial, "create state directory", errno));
    }
    // mkdir applies the umask, which may narrow 0700 further; chmod makes it exact.
    if (::chmod(partial.c_str(), 0700) != 0) {
      return fail(systemError(partial, "set mode 0700 on state directory", errno));
    }
  }
  struct stat status {};
  if (::stat(directory.c_str(), &status) != 0) {
    return fail(systemError(directory, "inspect state directory", errno));
  }
  if (!S_ISDIR(status.st_mode)) {
    return fail(ErrorKind::Config,
                fmt::format("{}: the state directory is not a directory", directory.string()));
  }
  if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return fail(ErrorKind::Permission,
                fmt::format("{}: the state directory is writable by group or others (mode {:o}), "
                            "so they could replace the state database; run chmod 0700 on it",
                            directory.string(), status.st_mode & 07777));
  }
  return {};
}

/// Creates an empty database file with mode 0600 unless it exists. Done before SQLite opens it
/// because SQLite creates its journal with the database file's mode, and would otherwise create
/// the file with 0644 minus the umask.
Result<void> createDatabaseFile(const std::filesystem::path& directory,
                                const std::filesystem::path& file) {
  UniqueFd directory_fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!directory_fd) return fail(systemError(directory, "open state directory", errno));
  UniqueFd file_fd(::openat(directory_fd.get(), file.filename().c_str(),
                            O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!file_fd) {
    if (errno == EEXIST) return {};
    return fail(systemError(file, "create state database", errno));
  }
  if (::fchmod(file_fd.get(), 0600) != 0) {
    return fail(systemError(file, "set mode 0600 on state database", errno));
  }
  // The new name must be durable before anything is committed into the file.
  if (::fsync(file_fd.get()) != 0 || ::fsync(directory_fd.get()) != 0) {
    return fail(systemError(file, "sync new state database", errno));
  }
  return {};
}

Result<std::int64_t> readIntegerPragma(SqliteDatabase& database, std::string_view pragma) {
  auto statement = database.prepare(pragma);
  if (!statement) return fail(std::move(statement.error()));
  auto row = statement->step();
  if (!row) return fail(std::move(row.error()));
  if (!*row) {
    return fail(ErrorKind::Internal,
                fmt::format("{}: \"{}\" returned nothing", database.path().string(), pragma));
  }
  return statement->integer(0);
}

/// DELETE rather than WAL: there is one writer (the run holding the lock file) and no reader to
/// run concurrently, so WAL's only advantage does not apply, while DELETE keeps the whole state
/// in one file whenever no transaction is open. A plain copy is then a complete backup, the
/// sqlite3 CLI can open it read-only without creating -wal/-shm files (which a different user
/// would own), and no checkpoint is ever pending. With synchronous=FULL both modes are durable
/// at commit; DELETE pays a few more fsyncs per commit, which a handful of transactions per run
/// does not notice.
Result<void> configureConnection(SqliteDatabase& database) {
  {
    auto journal_mode = database.prepare("PRAGMA journal_mode = DELETE");
    if (!journal_mode) return fail(std::move(journal_mode.error()));
    auto row = journal_mode->step();
    if (!row) return fail(std::move(row.error()));
    if (!*row || journal_mode->text(0) != "delete") {
      return fail(ErrorKind::Transient,
                  fmt::format("{}: cannot switch the journal to DELETE mode (still \"{}\"); "
                              "another process may have the database open",
                              database.path().string(), *row ? journal_mode->text(0) : ""));
    }
  }
  return database.exec(
      "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF;");
}

Result<void> migrateSchema(SqliteDatabase& database) {
  const auto migrations = stateMigrations();
  auto transaction = Transaction::begin(database, Transaction::Mode::Write);
  if (!transaction) return fail(std::move(transaction.error()));

  auto application_id = readIntegerPragma(database, "PRAGMA application_id");
  if (!application_id) return fail(std::move(application_id.error()));
  auto version = readIntegerPragma(database, "PRAGMA user_version");
  if (!version) return fail(std::move(version.error()));
  auto objects = readIntegerPragma(database, "SELECT count(*) FROM sqlite_schema");
  if (!objects) return fail(std::move(objects.error()));

  const auto path = database.path().string();
  const bool empty = *application_id == 0 && *version == 0 && *objects == 0;
  if (!empty && *application_id != kStateApplicationId) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("{}: this SQLite database is not daneguard state (application_id "
                            "{:#x}); point --state-dir at another directory or move the file "
                            "aside",
                            path, *application_id));
  }
  const auto known = static_cast<std::int64_t>(migrations.size());
  if (*version > known) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("{}: written by a newer daneguard (schema version {}, this daneguard "
                            "knows versions up to {}); upgrade daneguard, or restore a backup "
                            "made by this version",
                            path, *version, known));
  }
  if (*version == known) return transaction->commit();

  for (auto next = static_cast<std::size_t>(*version); next < migrations.size(); ++next) {
    if (auto applied = database.exec(migrations[next]); !applied) {
      return fail(std::move(applied.error())
                      .withContext(fmt::format("applying state schema migration {}", next + 1)));
    }
  }
  // PRAGMA values cannot be bound; these are constants of this build, never input.
  const std::string stamp = fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {};",
                                        kStateApplicationId, known);
  if (auto stamped = database.exec(stamp.c_str()); !stamped) return stamped;
  return transaction->commit();
}

}  // namespace

int SqliteStateStore::schemaVersion() {
  return static_cast<int>(stateMigrations().size());
}

Result<std::unique_ptr<SqliteStateStore>> SqliteStateStore::open(
    const std::filesystem::path& state_dir, SqliteStateStoreOptions options) {
  if (auto ready = prepareStateDirectory(state_dir); !ready) return fail(std::move(ready.error()));
  const std::filesystem::path file = state_dir / kDatabaseFileName;
  if (auto created = createDatabaseFile(state_dir, file); !created) {
    return fail(std::move(created.error()));
  }
  auto database = SqliteDatabase::open(file, options.busy_timeout);
  if (!database) return fail(std::move(database.error()));
  if (auto configured = configureConnection(*database); !configured) {
    return fail(std::move(configured.error()));
  }
  if (auto migrated = migrateSchema(*database); !migrated) {
    return fail(std::move(migrated.error()));
  }
  return std::unique_ptr<SqliteStateStore>(new SqliteStateStore(std::move(*database)));
}

template <class Body>
Result<void> SqliteStateStore::writeTransaction(std::string_view what, Body&& body) {
  auto result = [&]() -> Result<void> {
    auto transaction = Transaction::begin(database_, Transaction::Mode::Write);
    if (!transaction) return fail(std::move(transaction.error()));
    if (auto done = body(); !done) return done;  // the transaction rolls back as it dies
    return transaction->commit();
  }();
  if (!result) return fail(std::move(result.error()).withContext(what));
  return {};
}

Result<ports::StoredService> SqliteStateStore::loadService(std::string_view service) {
  auto load = [&]() -> Result<ports::StoredService> {
    // One read transaction, so the tables are seen as of a single commit.
    auto transaction = Transaction::begin(database_, Transaction::Mode::Read);
    if (!transaction) return fail(std::move(transaction.error()));
    ports::StoredService stored;
    stored.name = std::string(service);

    {
      auto row = database_.prepare(
          "SELECT deployed_id, deployed_at, verified_id FROM services WHERE name = ?1");
      if (!row) return fail(std::move(row.error()));
      row->bind(1, service);
      auto found = row->step();
      if (!found) return fail(std::move(found.error()));
      if (*found) {
        stored.deployed.id = row->text(0);
        stored.deployed_at = toInstant(row->optionalInteger(1));
        stored.verified_id = row->optionalText(2);
      }
    }

    auto deployed = database_.prepare(
        "SELECT usage, selector, matching_type, data FROM deployed_records WHERE service = ?1 "
        "ORDER BY position");
    if (!deployed) return fail(std::move(deployed.error()));
    deployed->bind(1, service);
    while (true) {
      auto next = deployed->step();
      if (!next) return fail(std::move(next.error()));
      if (!*next) break;
      stored.deployed.records.push_back(readRecord(*deployed, 0));
    }

    auto owned = database_.prepare(
        "SELECT owner, usage, selector, matching_type, data FROM owned_records WHERE service = ?1 "
        "ORDER BY rowid");
    if (!owned) return fail(std::move(owned.error()));
    owned->bind(1, service);
    while (true) {
      auto next = owned->step();
      if (!next) return fail(std::move(next.error()));
      if (!*next) break;
      stored.owned[owned->text(0)].push_back(readRecord(*owned, 1));
    }

    auto history = database_.prepare(
        "SELECT owner, usage, selector, matching_type, data, longest_ttl_without, "
        "negative_ttl_without, missing_since, visible_since FROM record_history "
        "WHERE service = ?1 ORDER BY rowid");
    if (!history) return fail(std::move(history.error()));
    history->bind(1, service);
    while (true) {
      auto next = history->step();
      if (!next) return fail(std::move(next.error()));
      if (!*next) break;
      RecordHistory entry;
      entry.record = readRecord(*history, 1);
      entry.longest_ttl_without = toDuration(history->optionalInteger(5));
      entry.negative_ttl_without = toDuration(history->optionalInteger(6));
      entry.missing_since = toInstant(history->optionalInteger(7));
      entry.visible_since = toInstant(history->optionalInteger(8));
      stored.history[history->text(0)].push_back(std::move(entry));
    }
    if (auto ended = transaction->commit(); !ended) return fail(std::move(ended.error()));
    return stored;
  };
  auto loaded = load();
  if (!loaded) {
    return fail(
        std::move(loaded.error()).withContext(fmt::format("loading service '{}'", service)));
  }
  return loaded;
}

Result<void> SqliteStateStore::recordFact(const RecordFact& fact) {
  return writeTransaction(
      fmt::format("recording a fact for service '{}' at {}", fact.service, fact.owner),
      [&]() -> Result<void> {
        if (auto ensured = ensureService(database_, fact.service); !ensured) return ensured;
        std::vector<RecordHistory> histories;
        {
          auto select = database_.prepare(
              "SELECT longest_ttl_without, negative_ttl_without, missing_since, visible_since "
              "FROM record_history WHERE service = ?1 AND owner = ?2 AND usage = ?3 AND "
              "selector = ?4 AND matching_type = ?5 AND data = ?6");
          if (!select) return fail(std::move(select.error()));
          select->bind(1, fact.service).bind(2, fact.owner);
          bindRecord(*select, 3, fact.record);
          auto found = select->step();
          if (!found) return fail(std::move(found.error()));
          if (*found) {
            RecordHistory stored;
            stored.record = fact.record;
            stored.longest_ttl_without = toDuration(select->optionalInteger(0));
            stored.negative_ttl_without = toDuration(select->optionalInteger(1));
            stored.missing_since = toInstant(select->optionalInteger(2));
            stored.visible_since = toInstant(select->optionalInteger(3));
            histories.push_back(std::move(stored));
          }
        }
        const std::optional<RecordHistory> before =
            histories.empty() ? std::nullopt : std::optional(histories.front());
        // The one merge rule, shared with the simulation: core decides, the store only keeps.
        mergeRecordFact(histories, fact);
        const RecordHistory& merged = histories.front();
        if (before && sameHistory(*before, merged)) return {};  // a replay: nothing to write

        auto upsert = database_.prepare(
            "INSERT INTO record_history (service, owner, usage, selector, matching_type, data, "
            "longest_ttl_without, negative_ttl_without, missing_since, visible_since) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
            "ON CONFLICT (service, owner, usage, selector, matching_type, data) DO UPDATE SET "
            "longest_ttl_without = excluded.longest_ttl_without, "
            "negative_ttl_without = excluded.negative_ttl_without, "
            "missing_since = excluded.missing_since, visible_since = excluded.visible_since");
        if (!upsert) return fail(std::move(upsert.error()));
        upsert->bind(1, fact.service).bind(2, fact.owner);
        bindRecord(*upsert, 3, merged.record);
        upsert->bind(7, optionalSeconds(merged.longest_ttl_without))
            .bind(8, optionalSeconds(merged.negative_ttl_without))
            .bind(9, optionalUnixSeconds(merged.missing_since))
            .bind(10, optionalUnixSeconds(merged.visible_since));
        return upsert->run();
      });
}

Result<void> SqliteStateStore::addOwnedRecords(std::string_view service, std::string_view owner,
                                               const std::vector<TlsaRecord>& records) {
  return writeTransaction(
      fmt::format("recording ownership of {} record(s) at {} for service '{}'", records.size(),
                  owner, service),
      [&]() -> Result<void> {
        if (auto ensured = ensureService(database_, service); !ensured) return ensured;
        for (const TlsaRecord& record : records) {
          auto insert = database_.prepare(
              "INSERT INTO owned_records (service, owner, usage, selector, matching_type, data) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING");
          if (!insert) return fail(std::move(insert.error()));
          insert->bind(1, service).bind(2, owner);
          bindRecord(*insert, 3, record);
          if (auto inserted = insert->run(); !inserted) return inserted;
        }
        return {};
      });
}

Result<void> SqliteStateStore::removeOwnedRecords(std::string_view service, std::string_view owner,
                                                  const std::vector<TlsaRecord>& records) {
  return writeTransaction(
      fmt::format("dropping ownership of {} record(s) at {} for service '{}'", records.size(),
                  owner, service),
      [&]() -> Result<void> {
        for (const TlsaRecord& record : records) {
          auto remove = database_.prepare(
              "DELETE FROM owned_records WHERE service = ?1 AND owner = ?2 AND usage = ?3 AND "
              "selector = ?4 AND matching_type = ?5 AND data = ?6");
          if (!remove) return fail(std::move(remove.error()));
          remove->bind(1, service).bind(2, owner);
          bindRecord(*remove, 3, record);
          if (auto removed = remove->run(); !removed) return removed;
        }
        return {};
      });
}

Result<void> SqliteStateStore::recordDeployed(std::string_view service,
                                              const CertificateRecords& deployed,
                                              std::chrono::sys_seconds at) {
  return writeTransaction(
      fmt::format("recording the deploy of '{}' for service '{}'", deployed.id, service),
      [&]() -> Result<void> {
        if (auto ensured = ensureService(database_, service); !ensured) return ensured;
        std::string previous_id;
        {
          auto select = database_.prepare("SELECT deployed_id FROM services WHERE name = ?1");
          if (!select) return fail(std::move(select.error()));
          select->bind(1, service);
          auto found = select->step();
          if (!found) return fail(std::move(found.error()));
          if (*found) previous_id = select->text(0);
        }
        auto update = database_.prepare(
            "UPDATE services SET deployed_id = ?2, deployed_at = ?3, verified_id = NULL, "
            "verified_at = NULL WHERE name = ?1");
        if (!update) return fail(std::move(update.error()));
        update->bind(1, service).bind(2, deployed.id).bind(3, unixSeconds(at));
        if (auto updated = update->run(); !updated) return updated;

        auto clear = database_.prepare("DELETE FROM deployed_records WHERE service = ?1");
        if (!clear) return fail(std::move(clear.error()));
        if (auto cleared = clear->bind(1, service).run(); !cleared) return cleared;
        std::int64_t position = 0;
        for (const TlsaRecord& record : deployed.records) {
          auto insert = database_.prepare(
              "INSERT INTO deployed_records (service, position, usage, selector, matching_type, "
              "data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
          if (!insert) return fail(std::move(insert.error()));
          insert->bind(1, service).bind(2, position++);
          bindRecord(*insert, 3, record);
          if (auto inserted = insert->run(); !inserted) return inserted;
        }

        auto append = database_.prepare(
            "INSERT INTO rollovers (service, from_id, to_id, deployed_at) VALUES (?1, ?2, ?3, ?4)");
        if (!append) return fail(std::move(append.error()));
        append->bind(1, service).bind(2, previous_id).bind(3, deployed.id).bind(4, unixSeconds(at));
        return append->run();
      });
}

Result<void> SqliteStateStore::recordVerified(std::string_view service,
                                              std::string_view candidate_id,
                                              std::chrono::sys_seconds at) {
  return writeTransaction(
      fmt::format("recording the verification of '{}' for service '{}'", candidate_id, service),
      [&]() -> Result<void> {
        if (auto ensured = ensureService(database_, service); !ensured) return ensured;
        auto update = database_.prepare(
            "UPDATE services SET verified_id = ?2, verified_at = ?3 WHERE name = ?1");
        if (!update) return fail(std::move(update.error()));
        update->bind(1, service).bind(2, candidate_id).bind(3, unixSeconds(at));
        return update->run();
      });
}

Result<std::vector<ports::CompletedRollover>> SqliteStateStore::rolloverHistory(
    std::string_view service) {
  auto read = [&]() -> Result<std::vector<ports::CompletedRollover>> {
    auto select = service.empty()
                      ? database_.prepare(
                            "SELECT service, from_id, to_id, deployed_at FROM rollovers "
                            "ORDER BY id")
                      : database_.prepare(
                            "SELECT service, from_id, to_id, deployed_at FROM rollovers "
                            "WHERE service = ?1 ORDER BY id");
    if (!select) return fail(std::move(select.error()));
    if (!service.empty()) select->bind(1, service);
    std::vector<ports::CompletedRollover> rollovers;
    while (true) {
      auto next = select->step();
      if (!next) return fail(std::move(next.error()));
      if (!*next) break;
      rollovers.push_back(ports::CompletedRollover{
          select->text(0), select->text(1), select->text(2), fromUnixSeconds(select->integer(3))});
    }
    return rollovers;
  };
  auto rollovers = read();
  if (!rollovers) {
    return fail(std::move(rollovers.error())
                    .withContext(service.empty()
                                     ? std::string("reading the rollover history")
                                     : fmt::format("reading the rollover history of service '{}'",
                                                   service)));
  }
  return rollovers;
}

}  // namespace daneguard::adapters::state
