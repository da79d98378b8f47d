// Helpers shared by the state store tests: distinct TLSA records, fixed instants, and a raw
// SQLite connection for looking at (or tampering with) the file behind the store's back.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "adapters/state/sqlite_handles.hpp"
#include "core/tlsa/tlsa_record.hpp"

namespace daneguard::adapters::state::test {

/// A `3 1 1` record whose 32 data bytes are all `fill` (plus `variant`), so records differ.
inline TlsaRecord record(std::uint8_t fill, std::uint8_t variant = 0) {
  TlsaRecord made;
  made.parameters = {TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha256};
  made.data.assign(32, fill);
  made.data[0] = variant;
  return made;
}

inline std::chrono::sys_seconds instant(std::int64_t unix_seconds) {
  return std::chrono::sys_seconds{std::chrono::seconds{unix_seconds}};
}

/// A second, independent connection to a database file.
class RawDatabase {
 public:
  explicit RawDatabase(const std::filesystem::path& path) {
    sqlite3* raw = nullptr;
    const int result = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    connection_.reset(raw);
    EXPECT_EQ(result, SQLITE_OK) << path;
  }

  /// Runs `sql`; returns "" on success, SQLite's message otherwise.
  std::string exec(const std::string& sql) {
    char* message = nullptr;
    const int result = sqlite3_exec(connection_.get(), sql.c_str(), nullptr, nullptr, &message);
    std::string text = message != nullptr ? message : (result == SQLITE_OK ? "" : "error");
    sqlite3_free(message);
    return text;
  }

  /// The first column of the first row of `sql` as text ("" when there is no row).
  std::string scalar(const std::string& sql) {
    sqlite3_stmt* raw = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(connection_.get(), sql.c_str(), -1, &raw, nullptr), SQLITE_OK)
        << sqlite3_errmsg(connection_.get());
    SqliteStatementPtr statement(raw);
    if (sqlite3_step(statement.get()) != SQLITE_ROW) return "";
    const auto* text = sqlite3_column_text(statement.get(), 0);
    return text != nullptr ? reinterpret_cast<const char*>(text) : "";
  }

 private:
  SqliteConnectionPtr connection_;
};

}  // namespace daneguard::adapters::state::test
