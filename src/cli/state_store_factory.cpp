// Placeholder until the SQLite StateStore adapter is merged (see the header).
#include "cli/state_store_factory.hpp"

namespace daneguard::cli {

Result<std::unique_ptr<ports::StateStore>> openStateStore(const std::filesystem::path& state_dir) {
  // TODO(merge): return the SQLite adapter for state_dir / "state.sqlite".
  return fail(ErrorKind::Internal, "the state store under " + state_dir.string() +
                                       " is not wired yet (the SQLite adapter arrives at merge)");
}

}  // namespace daneguard::cli
