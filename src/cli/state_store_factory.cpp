#include "cli/state_store_factory.hpp"

#include "adapters/state/sqlite_state_store.hpp"

namespace daneguard::cli {

Result<std::unique_ptr<ports::StateStore>> openStateStore(const std::filesystem::path& state_dir) {
  auto store = adapters::state::SqliteStateStore::open(state_dir);
  if (!store) return fail(std::move(store.error()));
  return std::unique_ptr<ports::StateStore>(std::move(*store));
}

}  // namespace daneguard::cli
