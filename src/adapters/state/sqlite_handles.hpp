// RAII owners for SQLite handles, one pointer wide thanks to a stateless deleter (the pattern of
// adapters/openssl/handles.hpp). Only adapters/state includes <sqlite3.h>.
#pragma once

#include <sqlite3.h>

#include <memory>

namespace daneguard::adapters::state {

template <auto FreeFunction>
struct SqliteFree {
  template <class T>
  void operator()(T* handle) const noexcept {
    FreeFunction(handle);
  }
};

// sqlite3_close_v2 defers the close until every statement is finalized, so destruction order
// between a connection and its cached statements can never leak or crash.
using SqliteConnectionPtr = std::unique_ptr<sqlite3, SqliteFree<&sqlite3_close_v2>>;
using SqliteStatementPtr = std::unique_ptr<sqlite3_stmt, SqliteFree<&sqlite3_finalize>>;

}  // namespace daneguard::adapters::state
