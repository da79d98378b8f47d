#include "integration/support/e2e_process.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/run_command.hpp"

namespace daneguard::testing {
BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv) {
  const auto out_path = io_.path() / "stdout";
  const auto err_path = io_.path() / "stderr";
  pid_ = spawnWithFiles(argv, "/dev/null", out_path, err_path);
}

BackgroundProcess::~BackgroundProcess() {
  if (result_) return;
  try {
    killHard();
  } catch (const std::exception&) {  // nothing left to reap
  }
}

CommandResult BackgroundProcess::collect(int status) {
  result_ = commandResult(status, io_.path() / "stdout", io_.path() / "stderr");
  return *result_;
}

std::optional<CommandResult> BackgroundProcess::waitFor(std::chrono::milliseconds timeout) {
  if (result_) return result_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
    if (reaped == pid_) return collect(status);
    if (reaped < 0 && errno != EINTR) throw std::runtime_error("waitpid failed");
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

CommandResult BackgroundProcess::killHard() {
  if (result_) return *result_;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  return collect(status);
}

std::string BackgroundProcess::outputSoFar() const {
  return readTextFile(io_.path() / "stdout") + readTextFile(io_.path() / "stderr");
}

}  // namespace daneguard::testing
