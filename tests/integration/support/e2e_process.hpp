// A program started in the background (no shell) for end-to-end tests that must act while it
// runs: kill -9 a `daneguard run --wait` in the middle of its cache wait, or start a second run
// while the first holds the lock. Output goes to files, as in runCommand. The destructor kills
// and reaps whatever is still running, so a failed assertion leaves no process behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

namespace daneguard::testing {

class BackgroundProcess {
 public:
  /// argv[0] is looked up in PATH. Throws std::runtime_error when it cannot be started.
  explicit BackgroundProcess(const std::vector<std::string>& argv);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  /// The result once the program has exited, waiting at most `timeout`; nullopt if it still runs.
  std::optional<CommandResult> waitFor(std::chrono::milliseconds timeout);
  /// SIGKILL and reap: a crash at whatever instant it is in.
  CommandResult killHard();
  /// What it has printed so far.
  [[nodiscard]] std::string outputSoFar() const;

 private:
  CommandResult collect(int status);

  TempDir io_;
  pid_t pid_ = -1;
  std::optional<CommandResult> result_;
};

}  // namespace daneguard::testing
