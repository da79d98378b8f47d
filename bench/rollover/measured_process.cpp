#include "measured_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

extern char** environ;

namespace daneguard::bench {
namespace {

/// posix_spawn's file actions, destroyed on every path.
class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
};

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

std::vector<char*> argvPointers(const std::vector<std::string>& argv) {
  std::vector<char*> pointers;
  pointers.reserve(argv.size() + 1);
  for (const std::string& argument : argv)
    pointers.push_back(const_cast<char*>(argument.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

Error spawnError(const std::vector<std::string>& argv, int code) {
  return Error{ErrorKind::NotFound, "cannot start " +
                                        (argv.empty() ? std::string("(nothing)") : argv.front()) +
                                        ": " + std::strerror(code)};
}

int exitStatusOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Result<BackgroundProcess> BackgroundProcess::start(const std::vector<std::string>& argv,
                                                   const std::filesystem::path& stdout_file,
                                                   const std::filesystem::path& stderr_file) {
  FileActions actions;
  posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(actions.get(), STDOUT_FILENO, stdout_file.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(actions.get(), STDERR_FILENO, stderr_file.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> pointers = argvPointers(argv);
  pid_t pid = -1;
  const auto started = std::chrono::steady_clock::now();
  const int code = posix_spawn(&pid, pointers[0], actions.get(), nullptr, pointers.data(), environ);
  if (code != 0) return fail(spawnError(argv, code));
  return BackgroundProcess(pid, started);
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ < 0 || done_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

BackgroundProcess::BackgroundProcess(BackgroundProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      started_(other.started_),
      done_(other.done_),
      outcome_(other.outcome_) {}

BackgroundProcess& BackgroundProcess::operator=(BackgroundProcess&& other) noexcept {
  if (this != &other) {
    BackgroundProcess discarded(std::move(*this));
    pid_ = std::exchange(other.pid_, -1);
    started_ = other.started_;
    done_ = other.done_;
    outcome_ = other.outcome_;
  }
  return *this;
}

void BackgroundProcess::reaped(int status, const rusage& usage) {
  done_ = true;
  outcome_.exit_status = exitStatusOf(status);
  outcome_.wall = std::chrono::steady_clock::now() - started_;
  const auto cpu = [](const timeval& time) {
    return std::chrono::seconds(time.tv_sec) + std::chrono::microseconds(time.tv_usec);
  };
  outcome_.cpu = cpu(usage.ru_utime) + cpu(usage.ru_stime);
  outcome_.max_rss_kib = usage.ru_maxrss;  // Linux reports kibibytes
}

bool BackgroundProcess::finished() {
  if (done_) return true;
  int status = 0;
  rusage usage{};
  if (::wait4(pid_, &status, WNOHANG, &usage) == pid_) reaped(status, usage);
  return done_;
}

Result<ProcessOutcome> BackgroundProcess::wait() {
  while (!done_) {
    int status = 0;
    rusage usage{};
    const pid_t result = ::wait4(pid_, &status, 0, &usage);
    if (result == pid_) {
      reaped(status, usage);
    } else if (result < 0 && errno != EINTR) {
      return fail(ErrorKind::Internal, std::string("wait4 failed: ") + std::strerror(errno));
    }
  }
  return outcome_;
}

Result<ProcessOutcome> BackgroundProcess::waitAtMost(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!finished()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      (void)wait();
      return fail(ErrorKind::Transient,
                  "still running after " + std::to_string(limit.count()) + " ms; killed");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return outcome_;
}

Result<ProcessOutcome> runMeasured(const std::vector<std::string>& argv,
                                   const std::filesystem::path& stdout_file,
                                   const std::filesystem::path& stderr_file) {
  auto process = BackgroundProcess::start(argv, stdout_file, stderr_file);
  if (!process) return fail(std::move(process.error()));
  return process->wait();
}

Result<std::string> captureOutput(const std::vector<std::string>& argv) {
  int ends[2] = {-1, -1};
  if (::pipe2(ends, O_CLOEXEC) != 0)
    return fail(ErrorKind::Internal, std::string("pipe failed: ") + std::strerror(errno));
  UniqueFd read_end(ends[0]);
  UniqueFd write_end(ends[1]);
  FileActions actions;
  posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_addopen(actions.get(), STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> pointers = argvPointers(argv);
  pid_t pid = -1;
  const int code =
      posix_spawnp(&pid, pointers[0], actions.get(), nullptr, pointers.data(), environ);
  if (code != 0) return fail(spawnError(argv, code));
  write_end.reset();
  std::string output;
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::read(read_end.get(), buffer, sizeof buffer);
    if (got > 0) {
      output.append(buffer, static_cast<std::size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      break;
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (exitStatusOf(status) != 0)
    return fail(ErrorKind::Transient,
                argv.front() + " exited with status " + std::to_string(exitStatusOf(status)));
  return output;
}

std::string readTextFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace daneguard::bench
