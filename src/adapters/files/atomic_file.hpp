// Crash-safe file replacement: a reader (or a crash at any instant) sees the old content or the
// new content, never a mix, and never a key file with loose permissions.
//
// Steps: create a temp file beside the target (O_EXCL, the final mode from the start, so a key
// is never readable by others even for an instant, whatever the umask), write, fsync, rename
// over the target, fsync the directory. On any failure the temp file is removed and the target
// is untouched.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string_view>

#include "core/error.hpp"

namespace daneguard::adapters::files {

struct FileOwnership {
  std::optional<uid_t> owner;
  std::optional<gid_t> group;
};

/// Replaces `target` with `content`, mode `mode` (e.g. 0600 for keys, 0644 for certificates).
Result<void> writeFileAtomically(const std::filesystem::path& target, std::string_view content,
                                 mode_t mode, const FileOwnership& ownership = {});

/// fsync()s a directory so that a rename inside it survives a power loss.
Result<void> syncDirectory(const std::filesystem::path& directory);

}  // namespace daneguard::adapters::files
