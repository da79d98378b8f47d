// A long-running child program (a name server) started without a shell, its output appended to
// a log file, and stopped by pid: SIGTERM, then SIGKILL after a grace period. The child asks the
// kernel for SIGTERM when its parent dies (PR_SET_PDEATHSIG), so a crash of daneguard or of a
// test (an ASan abort skips destructors) leaves no server running.
//
// Caveat of PR_SET_PDEATHSIG: "parent" is the THREAD that started the child. Start and own
// children from a thread that lives as long as they should (the main thread in `daneguard demo`
// and in the tests).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace daneguard::adapters::sandbox {

/// Finds `program` in PATH, then in /usr/sbin and /sbin (where Debian puts named, which a
/// non-root PATH often lacks). NotFound if it is nowhere.
Result<std::filesystem::path> findProgram(std::string_view program);

/// True when `pid` exists and is not a zombie. kill(pid, 0) also succeeds for zombies, which a
/// stopped daemon stays until it is reaped, so /proc/PID/status is read instead.
bool processAlive(pid_t pid);

class ChildProcess {
 public:
  ChildProcess() = default;
  /// Runs `program` with `arguments` (argv[1..]), stdin from /dev/null, stdout and stderr
  /// appended to `log_file` (created 0600). Fails if the program cannot be executed.
  static Result<ChildProcess> spawn(const std::filesystem::path& program,
                                    const std::vector<std::string>& arguments,
                                    const std::filesystem::path& log_file);
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool running() const { return processAlive(pid_); }
  /// SIGTERM, wait up to `grace`, then SIGKILL; reaps the child. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) noexcept;

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

}  // namespace daneguard::adapters::sandbox
