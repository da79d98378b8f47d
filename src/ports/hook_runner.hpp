// HookRunner: runs an operator-supplied program (a deploy hook) and reports how it ended.
//
// The contract the application relies on, whatever the implementation:
// - argv[0] is an absolute path and is executed directly: no shell, no PATH search, so argv
//   elements arrive verbatim (spaces, quotes, `$(...)` included).
// - The program sees only a fixed allow-list of variables plus `environment`; nothing of the
//   caller's own environment (which may hold TSIG secrets) leaks into it.
// - `timeout` bounds the run: afterwards the program and everything it started in its process
//   group are terminated and the run fails with ErrorKind::Transient.
// - Failures: a missing program (NotFound), one that may not be run (Permission), exit status
//   75 = EX_TEMPFAIL (Transient), any other non-zero status or death by a signal (Rejected).
//   Messages start with the label and name the program; they never contain variable values.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/secret.hpp"

namespace daneguard::ports {

/// One variable for the hook's environment. The value is held as SecretBytes whether or not
/// it is secret (DANEBOT_KEY is, DANEGUARD_SERVICE is not): the type cannot be printed, so no
/// log line or error message can show a value by accident.
struct HookVariable {
  std::string name;  // [A-Za-z_][A-Za-z0-9_]*
  SecretBytes value;

  static HookVariable plain(std::string name, std::string_view value) {
    return HookVariable{std::move(name), SecretBytes::copyOf(value)};
  }
};

struct HookInvocation {
  /// For messages, e.g. "deploy hook for service 'mail'".
  std::string label;
  /// argv[0]: absolute path of the program; the rest: its arguments, passed verbatim.
  std::vector<std::string> argv;
  std::vector<HookVariable> environment;
  /// The program starts here ("/" when empty).
  std::filesystem::path working_directory;
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};  // the config default
  /// Time between SIGTERM and SIGKILL to the process group once the timeout has passed.
  std::chrono::milliseconds kill_grace{std::chrono::seconds(5)};
  /// Exit statuses besides 0 that are answers, not failures (Alnitak's protocol gives 1 a
  /// meaning): run() then succeeds with HookOutcome::exit_status set.
  std::vector<int> accepted_exit_statuses;
};

struct HookOutcome {
  int exit_status = 0;  // 0, or one of HookInvocation::accepted_exit_statuses
  std::chrono::milliseconds duration{0};
  /// The last bytes the program wrote (capped), made safe for a log: valid UTF-8, without NUL,
  /// terminal escape sequences or other control characters except newline and tab.
  std::string stdout_tail;
  std::string stderr_tail;
  /// Everything the program wrote, counted, including what the tails dropped.
  std::size_t stdout_bytes = 0;
  std::size_t stderr_bytes = 0;
};

class HookRunner {
 public:
  virtual ~HookRunner() = default;
  HookRunner() = default;
  HookRunner(const HookRunner&) = delete;
  HookRunner& operator=(const HookRunner&) = delete;

  /// Runs the hook to completion (or timeout). Success means the program exited with status 0
  /// or with one of the invocation's accepted_exit_statuses.
  virtual Result<HookOutcome> run(const HookInvocation& invocation) = 0;
};

}  // namespace daneguard::ports
