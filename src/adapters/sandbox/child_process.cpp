#include "adapters/sandbox/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <system_error>
#include <thread>
#include <utility>

#include "adapters/files/system_error.hpp"
#include "adapters/files/unique_fd.hpp"

extern char** environ;

namespace daneguard::adapters::sandbox {
namespace {

using files::UniqueFd;

bool isExecutableFile(const std::filesystem::path& path) {
  std::error_code error;
  return std::filesystem::is_regular_file(path, error) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

Result<std::filesystem::path> findProgram(std::string_view program) {
  if (program.find('/') != std::string_view::npos) {
    if (isExecutableFile(program)) return std::filesystem::path(program);
    return fail(ErrorKind::NotFound, std::string(program) + " is not an executable file");
  }
  std::string search = "/usr/sbin:/sbin";
  if (const char* path = std::getenv("PATH"); path != nullptr)
    search = std::string(path) + ":" + search;
  std::size_t begin = 0;
  while (begin <= search.size()) {
    const std::size_t end = std::min(search.find(':', begin), search.size());
    const std::string folder = search.substr(begin, end - begin);
    if (!folder.empty()) {
      const auto candidate = std::filesystem::path(folder) / program;
      if (isExecutableFile(candidate)) return candidate;
    }
    begin = end + 1;
  }
  return fail(ErrorKind::NotFound,
              std::string(program) + " was not found in PATH, /usr/sbin or /sbin");
}

bool processAlive(pid_t pid) {
  if (pid <= 0) return false;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  if (!status) return false;
  std::string line;
  while (std::getline(status, line)) {
    // "State:\tS (sleeping)"; Z (zombie) and X (dead) have exited.
    if (line.rfind("State:", 0) == 0)
      return line.find('Z') == std::string::npos && line.find('X') == std::string::npos;
  }
  return false;
}

// fork + execve rather than posix_spawn: only the child can ask for PR_SET_PDEATHSIG, and
// posix_spawn offers no hook for it. Everything the child needs is prepared before fork(), and
// the child makes only async-signal-safe system calls (the parent may have other threads).
Result<ChildProcess> ChildProcess::spawn(const std::filesystem::path& program,
                                         const std::vector<std::string>& arguments,
                                         const std::filesystem::path& log_file) {
  std::vector<std::string> argv_storage;
  argv_storage.push_back(program.string());
  argv_storage.insert(argv_storage.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& argument : argv_storage)
    argv.push_back(argument.data());
  argv.push_back(nullptr);

  UniqueFd log(::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!log) return fail(files::systemError(log_file, "open the log file", errno));
  UniqueFd null_input(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null_input) return fail(files::systemError("/dev/null", "open", errno));
  // The child reports a failed execve through this pipe; a successful exec closes it (CLOEXEC).
  int exec_report[2] = {-1, -1};
  if (::pipe2(exec_report, O_CLOEXEC) != 0)
    return fail(ErrorKind::Transient, "cannot create a pipe to start " + program.string());
  UniqueFd report_read(exec_report[0]);
  UniqueFd report_write(exec_report[1]);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    return fail(ErrorKind::Transient,
                "cannot start " + program.string() + ": " + std::generic_category().message(errno));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(126);  // the parent died before prctl took effect
    ::dup2(null_input.get(), STDIN_FILENO);
    ::dup2(log.get(), STDOUT_FILENO);
    ::dup2(log.get(), STDERR_FILENO);
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);  // no inherited descriptors but the report pipe
    ::execve(argv[0], argv.data(), environ);
    const int exec_errno = errno;
    [[maybe_unused]] const auto written =
        ::write(report_write.get(), &exec_errno, sizeof exec_errno);
    ::_exit(127);
  }
  report_write.reset();
  int exec_errno = 0;
  ssize_t got = 0;
  do {
    got = ::read(report_read.get(), &exec_errno, sizeof exec_errno);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof exec_errno)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return fail(files::systemError(program, "execute", exec_errno));
  }
  return ChildProcess(pid);
}

ChildProcess::~ChildProcess() {
  stop();
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

void ChildProcess::stop(std::chrono::milliseconds grace) noexcept {
  using namespace std::chrono_literals;
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  for (;;) {
    const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
    if (reaped == pid_ || (reaped < 0 && errno == ECHILD)) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  pid_ = -1;
}

}  // namespace daneguard::adapters::sandbox
