// Decides whether a configured hook program may be run, before anything is started.
//
// A hook runs with daneguard's privileges (often root) and receives the private key, so a
// program that someone else could replace is a privilege escalation (Kea CVE-2025-32802 is the
// configured-path variant of this). Refused, naming the path:
// - not absolute (InvalidInput), missing (NotFound), not a regular file (InvalidInput),
//   no execute permission (Permission);
// - the file, or any directory above it (along the path as written and along the resolved
//   path), owned by someone other than root or the effective user, or writable by group or
//   others (Permission). A root-owned sticky directory such as /tmp is accepted: others cannot
//   rename or delete entries in it that they do not own.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/error.hpp"

namespace daneguard::adapters::process {

/// `label` starts every message, e.g. "deploy hook for service 'mail'".
Result<void> checkHookProgram(std::string_view label, const std::filesystem::path& program);

}  // namespace daneguard::adapters::process
