// Child processes for the rollover benchmarks, started without a shell: run one to completion
// and measure its wall time and peak resident memory (wait4's rusage, what GNU time -v reports
// as "Maximum resident set size"), or start one in the background and poll something else
// meanwhile, or capture a short command's standard output (dig, the oracle).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace daneguard::bench {

struct ProcessOutcome {
  int exit_status = -1;  // 128 + signal number when killed by a signal
  std::chrono::nanoseconds wall{};
  std::chrono::nanoseconds cpu{};  // user + system time of the child
  long max_rss_kib = 0;            // peak resident set size of the child alone
};

/// A started child; the destructor kills (SIGKILL) and reaps it if it was not waited for, so an
/// early return in a benchmark never leaves a daneguard running.
class BackgroundProcess {
 public:
  /// argv[0] is the program path (no PATH search); stdout and stderr go to the given files
  /// (truncated), stdin is /dev/null.
  static Result<BackgroundProcess> start(const std::vector<std::string>& argv,
                                         const std::filesystem::path& stdout_file,
                                         const std::filesystem::path& stderr_file);
  ~BackgroundProcess();
  BackgroundProcess(BackgroundProcess&& other) noexcept;
  BackgroundProcess& operator=(BackgroundProcess&& other) noexcept;
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  /// True once the child has exited (reaps it and fills the outcome).
  bool finished();
  /// Blocks until the child exits.
  Result<ProcessOutcome> wait();
  /// Waits at most `limit` (polling, so the wall time is exact only to ~10 ms); then kills the
  /// child and fails with Transient.
  Result<ProcessOutcome> waitAtMost(std::chrono::milliseconds limit);

 private:
  BackgroundProcess(pid_t pid, std::chrono::steady_clock::time_point started)
      : pid_(pid), started_(started) {}
  void reaped(int status, const rusage& usage);

  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point started_;
  bool done_ = false;
  ProcessOutcome outcome_;
};

/// Runs argv to completion and measures it.
Result<ProcessOutcome> runMeasured(const std::vector<std::string>& argv,
                                   const std::filesystem::path& stdout_file,
                                   const std::filesystem::path& stderr_file);

/// Runs argv (PATH searched) and returns its standard output; stderr is discarded.
Result<std::string> captureOutput(const std::vector<std::string>& argv);

/// Whole file as text; empty when it does not exist.
std::string readTextFile(const std::filesystem::path& path);

}  // namespace daneguard::bench
