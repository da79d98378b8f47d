// A thin Result-returning layer over one SQLite connection: cached prepared statements whose
// values are always bound (never formatted into SQL), and transactions that roll back unless
// committed. Every error names the database file, SQLite's own message and its extended code,
// so an operator can tell "locked by another process" from "disk full" from "not a database".
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "adapters/state/sqlite_handles.hpp"
#include "core/bytes.hpp"
#include "core/error.hpp"

namespace daneguard::adapters::state {

/// The ErrorKind for an SQLite (extended) result code: busy/locked/full/I/O are Transient, a file
/// that is not a database or is corrupt is InvalidInput, permission problems are Permission.
ErrorKind errorKindForSqliteCode(int code);

class SqliteDatabase;

/// A prepared statement borrowed from SqliteDatabase's cache. Destruction resets it and clears
/// its bindings so the next borrower starts clean. Binding errors are kept and reported by
/// step(), so call sites can chain binds without checking each one.
class Statement {
 public:
  Statement(SqliteDatabase& database, sqlite3_stmt* handle)
      : database_(&database), handle_(handle) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  /// Parameters are numbered from 1, as in SQLite.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, ByteView blob);
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::optional<std::int64_t> value);

  /// True when a row is available, false when the statement has finished.
  Result<bool> step();
  /// Runs a statement that returns no rows.
  Result<void> run();

  [[nodiscard]] std::int64_t integer(int column) const;
  [[nodiscard]] std::optional<std::int64_t> optionalInteger(int column) const;
  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] std::optional<std::string> optionalText(int column) const;
  [[nodiscard]] Bytes blob(int column) const;

 private:
  void noteBindResult(int result);

  SqliteDatabase* database_;
  sqlite3_stmt* handle_;
  int bind_error_ = SQLITE_OK;
};

class SqliteDatabase {
 public:
  /// Opens an existing file read-write (never creates it, never follows a symlink).
  static Result<SqliteDatabase> open(const std::filesystem::path& path,
                                     std::chrono::milliseconds busy_timeout);

  /// Runs fixed SQL without parameters (schema migrations, pragmas).
  Result<void> exec(const char* sql);
  /// A cached prepared statement for `sql`; do not borrow the same SQL twice at once.
  Result<Statement> prepare(std::string_view sql);

  /// "<path>: cannot <what>: <SQLite message> (SQLite extended code N)" with the kind for `code`.
  [[nodiscard]] Error error(std::string_view what, int code) const;
  /// The same for the connection's latest error.
  [[nodiscard]] Error lastError(std::string_view what) const;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] sqlite3* handle() const { return connection_.get(); }

 private:
  SqliteDatabase(std::filesystem::path path, SqliteConnectionPtr connection)
      : path_(std::move(path)), connection_(std::move(connection)) {}

  std::filesystem::path path_;
  SqliteConnectionPtr connection_;
  std::unordered_map<std::string, SqliteStatementPtr> statements_;
};

/// A write (BEGIN IMMEDIATE: takes the write lock up front, so a busy database fails at the
/// start rather than halfway) or read (BEGIN DEFERRED) transaction that rolls back when it dies
/// without commit().
class Transaction {
 public:
  enum class Mode { Read, Write };

  static Result<Transaction> begin(SqliteDatabase& database, Mode mode);
  ~Transaction();
  Transaction(Transaction&& other) noexcept : database_(std::exchange(other.database_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Result<void> commit();

 private:
  explicit Transaction(SqliteDatabase& database) : database_(&database) {}

  SqliteDatabase* database_;  // null once committed or rolled back
};

}  // namespace daneguard::adapters::state
