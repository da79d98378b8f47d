#include "adapters/state/sqlite_database.hpp"

#include <fmt/format.h>

namespace daneguard::adapters::state {

ErrorKind errorKindForSqliteCode(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_INTERRUPT:
      return ErrorKind::Transient;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_FORMAT:
      return ErrorKind::InvalidInput;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
    case SQLITE_CANTOPEN:
      return ErrorKind::Permission;
    default:
      return ErrorKind::Internal;
  }
}

Statement::~Statement() {
  if (handle_ == nullptr) return;
  sqlite3_reset(handle_);
  sqlite3_clear_bindings(handle_);
}

Statement::Statement(Statement&& other) noexcept
    : database_(other.database_),
      handle_(std::exchange(other.handle_, nullptr)),
      bind_error_(other.bind_error_) {}

void Statement::noteBindResult(int result) {
  if (result != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = result;
}

Statement& Statement::bind(int index, std::string_view text) {
  // A null data pointer would bind SQL NULL instead of an empty string.
  const char* data = text.empty() ? "" : text.data();
  noteBindResult(
      sqlite3_bind_text64(handle_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind(int index, ByteView blob) {
  // sqlite3_bind_blob with a null pointer binds NULL; an empty blob needs zeroblob(0).
  if (blob.empty()) {
    noteBindResult(sqlite3_bind_zeroblob(handle_, index, 0));
  } else {
    noteBindResult(sqlite3_bind_blob64(handle_, index, blob.data(), blob.size(), SQLITE_TRANSIENT));
  }
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  noteBindResult(sqlite3_bind_int64(handle_, index, value));
  return *this;
}

Statement& Statement::bind(int index, std::optional<std::int64_t> value) {
  noteBindResult(value ? sqlite3_bind_int64(handle_, index, *value)
                       : sqlite3_bind_null(handle_, index));
  return *this;
}

Result<bool> Statement::step() {
  if (bind_error_ != SQLITE_OK) {
    return fail(database_->error(fmt::format("bind a parameter of \"{}\"", sqlite3_sql(handle_)),
                                 bind_error_));
  }
  const int result = sqlite3_step(handle_);
  if (result == SQLITE_ROW) return true;
  if (result == SQLITE_DONE) return false;
  return fail(database_->error("access the database", result));
}

Result<void> Statement::run() {
  auto row = step();
  if (!row) return fail(std::move(row.error()));
  if (*row) {
    return fail(ErrorKind::Internal, fmt::format("{}: statement \"{}\" unexpectedly returned rows",
                                                 database_->path().string(), sqlite3_sql(handle_)));
  }
  return {};
}

std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(handle_, column);
}

std::optional<std::int64_t> Statement::optionalInteger(int column) const {
  if (sqlite3_column_type(handle_, column) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(handle_, column);
}

std::string Statement::text(int column) const {
  const auto* data = sqlite3_column_text(handle_, column);
  const int size = sqlite3_column_bytes(handle_, column);
  if (data == nullptr || size <= 0) return {};
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::optional<std::string> Statement::optionalText(int column) const {
  if (sqlite3_column_type(handle_, column) == SQLITE_NULL) return std::nullopt;
  return text(column);
}

Bytes Statement::blob(int column) const {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(handle_, column));
  const int size = sqlite3_column_bytes(handle_, column);
  if (data == nullptr || size <= 0) return {};
  return Bytes(data, data + size);
}

Result<SqliteDatabase> SqliteDatabase::open(const std::filesystem::path& path,
                                            std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE;
  const int result = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  // Even a failed open usually hands back a connection that must be closed.
  SqliteConnectionPtr connection(raw);
  if (result != SQLITE_OK) {
    const char* message = connection ? sqlite3_errmsg(connection.get()) : sqlite3_errstr(result);
    const std::string_view hint =
        result == SQLITE_CANTOPEN_SYMLINK
            ? "; it is a symbolic link, which daneguard does not follow: replace it with the file"
            : "";
    return fail(errorKindForSqliteCode(result),
                fmt::format("{}: cannot open the state database: {} (SQLite extended code {}){}",
                            path.string(), message, result, hint));
  }
  sqlite3_extended_result_codes(connection.get(), 1);
  sqlite3_busy_timeout(connection.get(), static_cast<int>(busy_timeout.count()));
  // Defensive mode forbids SQL that could corrupt the file (writable_schema and the like).
  sqlite3_db_config(connection.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  return SqliteDatabase(path, std::move(connection));
}

Result<void> SqliteDatabase::exec(const char* sql) {
  const int result = sqlite3_exec(connection_.get(), sql, nullptr, nullptr, nullptr);
  if (result != SQLITE_OK) return fail(lastError(fmt::format("run \"{}\"", sql)));
  return {};
}

Result<Statement> SqliteDatabase::prepare(std::string_view sql) {
  auto cached = statements_.find(std::string(sql));
  if (cached == statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    const int result =
        sqlite3_prepare_v3(connection_.get(), sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    SqliteStatementPtr statement(raw);
    if (result != SQLITE_OK) return fail(error(fmt::format("prepare \"{}\"", sql), result));
    cached = statements_.emplace(std::string(sql), std::move(statement)).first;
  }
  return Statement(*this, cached->second.get());
}

Error SqliteDatabase::error(std::string_view what, int code) const {
  // The connection's message describes `code` only if it was the latest error; bind errors and
  // the like never reach it, and then SQLite's generic text for the code is the best there is.
  const bool is_latest = connection_ && sqlite3_extended_errcode(connection_.get()) == code;
  const char* message = is_latest ? sqlite3_errmsg(connection_.get()) : sqlite3_errstr(code);
  std::string hint;
  if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED) {
    hint = "; another process is using the state database, try again when it has finished";
  } else if ((code & 0xff) == SQLITE_NOTADB || (code & 0xff) == SQLITE_CORRUPT) {
    hint = "; move the file aside (daneguard then starts with empty state, see docs/state.md)";
  }
  return Error{errorKindForSqliteCode(code),
               fmt::format("{}: cannot {}: {} (SQLite extended code {}){}", path_.string(), what,
                           message, code, hint)};
}

Error SqliteDatabase::lastError(std::string_view what) const {
  return error(what, sqlite3_extended_errcode(connection_.get()));
}

Result<Transaction> Transaction::begin(SqliteDatabase& database, Mode mode) {
  auto begin = database.prepare(mode == Mode::Write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  if (!begin) return fail(std::move(begin.error()));
  if (auto started = begin->run(); !started) {
    return fail(database.error("start a transaction", sqlite3_extended_errcode(database.handle())));
  }
  return Transaction(database);
}

Transaction::~Transaction() {
  if (database_ == nullptr) return;
  // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) already rolled the transaction back; a second
  // ROLLBACK would only fail.
  if (sqlite3_get_autocommit(database_->handle()) == 0) {
    sqlite3_exec(database_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

Result<void> Transaction::commit() {
  auto commit = database_->prepare("COMMIT");
  if (!commit) return fail(std::move(commit.error()));
  if (auto committed = commit->run(); !committed) {
    return fail(database_->error("commit", sqlite3_extended_errcode(database_->handle())));
  }
  database_ = nullptr;
  return {};
}

}  // namespace daneguard::adapters::state
