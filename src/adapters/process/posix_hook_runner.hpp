// HookRunner over posix_spawn: the program is executed directly (no shell), in its own process
// group, with stdin on /dev/null, stdout and stderr on pipes, no other file descriptor, and an
// environment built from scratch:
//   PATH=/usr/sbin:/usr/bin:/sbin:/bin   fixed, so a hook behaves the same from cron and a shell
//   LANG=C.UTF-8                         fixed (not inherited): output and error texts the
//                                        operator sees do not depend on the caller's locale
//   + the invocation's variables.
// HOME, USER, TERM and everything else of daneguard's own environment (e.g.
// DANEBOT_RFC2136_TSIG_SECRET) are deliberately absent. Signal dispositions and the signal mask
// are reset to defaults in the child (daneguard ignores SIGPIPE; a hook must not inherit that).
//
// Before starting, checkHookProgram refuses programs that others could replace. On timeout the
// whole process group gets SIGTERM, then SIGKILL after the grace period, so a background child
// the hook left behind dies too. When the hook exits by itself, children it left running in the
// background are NOT killed (a hook may legitimately start a daemon); their later output is not
// captured.
//
// Requires that SIGCHLD is not ignored by the calling process (children must stay waitable).
// Single-threaded use; one run at a time per object.
#pragma once

#include <cstddef>

#include "ports/hook_runner.hpp"

namespace daneguard::adapters::process {

class PosixHookRunner final : public ports::HookRunner {
 public:
  /// Bytes of stdout and of stderr kept for HookOutcome and error messages.
  static constexpr std::size_t kDefaultTailBytes = 4096;

  explicit PosixHookRunner(std::size_t tail_bytes = kDefaultTailBytes) : tail_bytes_(tail_bytes) {}

  Result<ports::HookOutcome> run(const ports::HookInvocation& invocation) override;

 private:
  std::size_t tail_bytes_;
};

}  // namespace daneguard::adapters::process
