#include "integration/support/e2e_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/run_command.hpp"

extern char** environ;

namespace daneguard::testing {
BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv) {
  const auto out_path = io_.path() / "stdout";
  const auto err_path = io_.path() / "stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int spawn_error = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) throw std::runtime_error("cannot start " + argv.at(0));
}

BackgroundProcess::~BackgroundProcess() {
  if (result_) return;
  try {
    killHard();
  } catch (const std::exception&) {  // nothing left to reap
  }
}

CommandResult BackgroundProcess::collect(int status) {
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = readTextFile(io_.path() / "stdout");
  result.err = readTextFile(io_.path() / "stderr");
  result_ = result;
  return result;
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
