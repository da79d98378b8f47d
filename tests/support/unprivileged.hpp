// Runs a check as an unprivileged user. Tests run as root, and root reads mode-000 files, so a
// "permission denied" path can only be exercised by a process that dropped its privileges.
#pragma once

#include <functional>

namespace daneguard::testing {

/// Runs `check` in a forked child that switched to nobody (uid/gid 65534) when running as root,
/// or directly otherwise; returns what it returned. Test folders must be traversable by others.
bool runUnprivileged(const std::function<bool()>& check);

}  // namespace daneguard::testing
