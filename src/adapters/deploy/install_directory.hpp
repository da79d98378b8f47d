// The on-disk layout of the `install` deploy mode, and its one-rename switch (docs/deploy.md):
//
//   DIR/versions/<n>-<id>/   one complete set of files (certificate_files.hpp), never changed
//                            once written; <n> counts up, <id> is the start of the candidate id
//   DIR/current  -> versions/<n>-<id>      the set in service: switched with ONE rename(2)
//   DIR/previous -> versions/<m>-<id>      the set before it, kept for rollback
//   DIR/<file>   -> current/<file>         stable links, e.g. DIR/fullchain.pem, for servers
//
// Every path through DIR/current resolves inside one version directory, so a reader never
// finds a new certificate next to an old key; combo.pem holds both in one file for servers that
// can load it, which also closes the gap between two separate open() calls. A version is
// written under versions/.incomplete-XXXXXX, fsynced, renamed to its final name, and only then
// is `current` switched; a crash at any point leaves `current` on a complete set, and the
// leftovers are removed by the next prune. Not thread-safe; the caller holds the state lock.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "adapters/deploy/certificate_files.hpp"
#include "core/config/config.hpp"
#include "core/error.hpp"

namespace daneguard::adapters::deploy {

inline constexpr std::string_view kVersionsDirectory = "versions";
inline constexpr std::string_view kCurrentLink = "current";
inline constexpr std::string_view kPreviousLink = "previous";

struct FilePermissions {
  std::optional<uid_t> owner;  // absent: the running user
  std::optional<gid_t> group;  // absent: the running group
  mode_t key_mode = 0600;
  mode_t certificate_mode = 0644;
};

/// Looks up the owner and group names of `settings` (numbers are taken as ids).
Result<FilePermissions> resolvePermissions(const config::InstallDeploy& settings);

/// What an install changed, so that restoreFileSet can undo it.
struct SwitchRecord {
  bool switched = false;  // false: `current` already held exactly these files
  std::optional<std::filesystem::path> current_before;
  std::optional<std::filesystem::path> previous_before;
};

/// Makes `files` the set in service under `directory` (created with mode 0755 if missing; its
/// parent must exist). Idempotent: when `current` already holds the same contents, modes and
/// ownership, nothing is written and only missing per-file links are added.
Result<SwitchRecord> installFileSet(const std::filesystem::path& directory,
                                    const std::vector<CertificateFile>& files,
                                    const FilePermissions& permissions,
                                    std::string_view candidate_id);

enum class Restored {
  PreviousSet,  // `current` points at the set it pointed at before the install again
  NothingLeft,  // a first install: `current` was removed, nothing is in service
  Untouched,    // the install had changed nothing, so nothing was changed back
};

/// Undoes `record`'s install: puts back the set that was in service before it. An install that
/// found its files already current is left alone: going back to `previous` then could serve an
/// older certificate whose records may already be gone, while the current files are the ones
/// the planner has already found safe.
Result<Restored> restoreFileSet(const std::filesystem::path& directory, const SwitchRecord& record);

/// Removes version directories that neither `current` nor `previous` point at, incomplete ones
/// and temporary links left by crashed runs.
Result<void> pruneVersions(const std::filesystem::path& directory);

}  // namespace daneguard::adapters::deploy
