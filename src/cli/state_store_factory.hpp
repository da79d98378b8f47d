// Where the CLI gets its StateStore: the SQLite adapter (src/adapters/state/) under the state
// directory. One place, so that tests and future back ends change one function.
#pragma once

#include <filesystem>
#include <memory>

#include "core/error.hpp"
#include "ports/state_store.hpp"

namespace daneguard::cli {

/// Opens (creating when needed) the state store under `state_dir`.
Result<std::unique_ptr<ports::StateStore>> openStateStore(const std::filesystem::path& state_dir);

}  // namespace daneguard::cli
