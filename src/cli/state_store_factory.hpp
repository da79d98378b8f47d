// Where the CLI gets its StateStore: the one place the lead points at the SQLite adapter
// (src/adapters/state/) when the branches merge. Until then it fails with a clear message.
#pragma once

#include <filesystem>
#include <memory>

#include "core/error.hpp"
#include "ports/state_store.hpp"

namespace daneguard::cli {

/// Opens (creating when needed) the state store under `state_dir`.
Result<std::unique_ptr<ports::StateStore>> openStateStore(const std::filesystem::path& state_dir);

}  // namespace daneguard::cli
