// Symbolic links switched with one rename(2): whoever opens the link's path sees the old target
// or the new one, never "no such file". The install and symlinks deploy modes rest on this.
//
// A link is first created under a temporary name beside its final one
// (".<name>.daneguard-<random>", the pattern files::writeFileAtomically uses too), then renamed
// over it. A crash can leave such a temporary behind; removeTemporaryLinks() clears them.
#pragma once

#include <filesystem>
#include <optional>

#include "core/error.hpp"

namespace daneguard::adapters::deploy {

/// Points `link` at `target` (stored verbatim, so a relative target stays relative). Refuses
/// to replace anything at `link` that is not a symlink. Does not fsync the directory.
Result<void> replaceSymlink(const std::filesystem::path& link, const std::filesystem::path& target);

/// The target `link` holds; nullopt when nothing is there; an error when `link` is something
/// other than a symlink or cannot be read.
Result<std::optional<std::filesystem::path>> readSymlink(const std::filesystem::path& link);

/// Removes ".*.daneguard-*" entries in `directory` that crashed runs left behind.
Result<void> removeTemporaryLinks(const std::filesystem::path& directory);

}  // namespace daneguard::adapters::deploy
