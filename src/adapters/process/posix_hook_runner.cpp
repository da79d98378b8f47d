#include "adapters/process/posix_hook_runner.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <set>
#include <system_error>

#include "adapters/files/system_error.hpp"
#include "adapters/files/unique_fd.hpp"
#include "adapters/process/hook_program_check.hpp"
#include "adapters/process/output_tail.hpp"

namespace daneguard::adapters::process {
namespace {

using files::UniqueFd;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr std::array<std::string_view, 2> kBaseEnvironment = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                                              "LANG=C.UTF-8"};
// Without a pidfd (Linux < 5.3) the loop wakes this often to ask waitpid.
constexpr milliseconds kPollFallbackInterval{50};
// Keeps poll()'s int milliseconds far from overflow whatever the timeout.
constexpr milliseconds kLongestPoll{std::chrono::minutes(1)};
constexpr int kExitTemporaryFailure = 75;  // EX_TEMPFAIL

std::string programName(const ports::HookInvocation& invocation) {
  return invocation.argv.front();
}

bool isValidVariableName(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  for (const char c : name) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

Result<void> validateEnvironment(const ports::HookInvocation& invocation) {
  std::set<std::string_view> names = {"PATH", "LANG"};
  for (const ports::HookVariable& variable : invocation.environment) {
    if (!isValidVariableName(variable.name)) {
      return fail(ErrorKind::InvalidInput, fmt::format("{}: invalid environment variable name '{}'",
                                                       invocation.label, variable.name));
    }
    if (!names.insert(variable.name).second) {
      return fail(ErrorKind::InvalidInput,
                  fmt::format("{}: environment variable {} given twice or overrides a fixed one",
                              invocation.label, variable.name));
    }
    if (variable.value.revealText().find('\0') != std::string_view::npos) {
      return fail(ErrorKind::InvalidInput,
                  fmt::format("{}: the value of {} contains a NUL byte, which an environment "
                              "cannot carry",
                              invocation.label, variable.name));
    }
  }
  return {};
}

Result<void> validateInvocation(const ports::HookInvocation& invocation) {
  if (invocation.argv.empty()) {
    return fail(ErrorKind::InvalidInput, fmt::format("{}: no program given", invocation.label));
  }
  for (const std::string& argument : invocation.argv) {
    if (argument.find('\0') != std::string::npos) {
      return fail(ErrorKind::InvalidInput, fmt::format("{}: an argument of {} contains a NUL byte",
                                                       invocation.label, programName(invocation)));
    }
  }
  if (auto environment = validateEnvironment(invocation); !environment) return environment;
  std::error_code error;
  if (!invocation.working_directory.empty() &&
      !std::filesystem::is_directory(invocation.working_directory, error)) {
    return fail(ErrorKind::NotFound,
                fmt::format("{}: working directory {} does not exist", invocation.label,
                            invocation.working_directory.string()));
  }
  return checkHookProgram(invocation.label, programName(invocation));
}

/// "NAME=value" strings for execve. Each lives in SecretBytes, wiped when the run is over.
class ChildEnvironment {
 public:
  explicit ChildEnvironment(const ports::HookInvocation& invocation) {
    for (const std::string_view entry : kBaseEnvironment)
      add(entry, {}, {});
    for (const ports::HookVariable& variable : invocation.environment)
      add(variable.name, "=", variable.value.revealText());
    for (SecretBytes& entry : entries_)
      pointers_.push_back(reinterpret_cast<char*>(entry.revealMutable().data()));
    pointers_.push_back(nullptr);
  }
  char* const* envp() { return pointers_.data(); }

 private:
  void add(std::string_view name, std::string_view equals, std::string_view value) {
    SecretBytes entry(name.size() + equals.size() + value.size() + 1);  // zero-filled: ends in NUL
    char* out = reinterpret_cast<char*>(entry.revealMutable().data());
    for (const std::string_view piece : {name, equals, value}) {
      if (piece.empty()) continue;  // an empty view may have a null data(): not for memcpy
      std::memcpy(out, piece.data(), piece.size());
      out += piece.size();
    }
    entries_.push_back(std::move(entry));
  }

  std::vector<SecretBytes> entries_;
  std::vector<char*> pointers_;
};

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

Result<Pipe> makePipe(std::string_view label) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return fail(files::systemError("pipe", "create", errno).withContext(label));
  }
  Pipe made{UniqueFd(fds[0]), UniqueFd(fds[1])};
  // Non-blocking reads let one poll loop drain both pipes without ever stalling on one.
  if (::fcntl(made.read_end.get(), F_SETFL, O_NONBLOCK) != 0) {
    return fail(files::systemError("pipe", "set O_NONBLOCK", errno).withContext(label));
  }
  return made;
}

/// posix_spawn's attribute and file-action objects, destroyed on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    ::posix_spawnattr_init(&attributes_);
    ::posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions_);
    ::posix_spawnattr_destroy(&attributes_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  /// Returns 0 or an errno value.
  int configure(int stdout_fd, int stderr_fd, const std::filesystem::path& working_directory) {
    sigset_t empty_mask;
    sigset_t all_signals;
    sigemptyset(&empty_mask);
    sigfillset(&all_signals);
    const auto flags =
        static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    const std::filesystem::path directory =
        working_directory.empty() ? std::filesystem::path("/") : working_directory;
    const std::array<int, 8> results = {
        ::posix_spawnattr_setflags(&attributes_, flags),
        ::posix_spawnattr_setpgroup(&attributes_, 0),  // own group, id = the child's pid
        ::posix_spawnattr_setsigmask(&attributes_, &empty_mask),
        ::posix_spawnattr_setsigdefault(&attributes_, &all_signals),
        ::posix_spawn_file_actions_addopen(&actions_, STDIN_FILENO, "/dev/null", O_RDONLY, 0),
        ::posix_spawn_file_actions_adddup2(&actions_, stdout_fd, STDOUT_FILENO),
        ::posix_spawn_file_actions_adddup2(&actions_, stderr_fd, STDERR_FILENO),
        ::posix_spawn_file_actions_addchdir_np(&actions_, directory.c_str()),
    };
    for (const int result : results) {
      if (result != 0) return result;
    }
    // Belt and braces beside O_CLOEXEC: descriptors opened without it by a library (or
    // inherited by daneguard itself) must not reach a hook either. glibc >= 2.34.
    return ::posix_spawn_file_actions_addclosefrom_np(&actions_, STDERR_FILENO + 1);
  }

  const posix_spawnattr_t* attributes() const { return &attributes_; }
  const posix_spawn_file_actions_t* actions() const { return &actions_; }

 private:
  posix_spawnattr_t attributes_{};
  posix_spawn_file_actions_t actions_{};
};

Error spawnError(const ports::HookInvocation& invocation, int error_number) {
  const std::string program = programName(invocation);
  if (error_number == ENOEXEC) {
    return Error{ErrorKind::InvalidInput,
                 fmt::format("{}: the kernel cannot run {} (a script needs a #! line)",
                             invocation.label, program)};
  }
  if (error_number == ENOENT) {
    return Error{ErrorKind::NotFound,
                 fmt::format("{}: cannot run {}: No such file or directory (is the interpreter "
                             "named on its #! line installed?)",
                             invocation.label, program)};
  }
  return files::systemError(program, "run", error_number).withContext(invocation.label);
}

struct Streams {
  UniqueFd stdout_fd;
  UniqueFd stderr_fd;
  OutputTail stdout_tail;
  OutputTail stderr_tail;
};

/// Reads what is available now; closes the descriptor at end of file.
void drain(UniqueFd& fd, OutputTail& tail) {
  std::array<char, 65536> buffer{};
  while (fd) {
    const ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
    if (got > 0) {
      tail.append(std::string_view(buffer.data(), static_cast<std::size_t>(got)));
    } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
      fd.reset();
    } else if (errno == EAGAIN) {
      return;
    }
  }
}

/// True when no process is left in the group (zombies not yet reaped by their parent count
/// as still present).
bool processGroupIsEmpty(pid_t group) {
  return ::kill(-group, 0) != 0 && errno == ESRCH;
}

/// Watches a started child: collects its output, enforces the timeout, reaps it.
///
/// Waiting without a SIGCHLD handler: a pidfd (pidfd_open, Linux >= 5.3) becomes readable when
/// the child exits, so one poll() waits for output, exit and the deadline at once and
/// waitpid(WNOHANG) only runs when something happened. Where pidfd_open is unavailable the poll
/// timeout is capped at kPollFallbackInterval instead. Both are EINTR-safe: an interrupted poll
/// just goes round the loop, the deadlines are absolute.
class ChildSupervisor {
 public:
  ChildSupervisor(pid_t child, Streams& streams, milliseconds timeout, milliseconds grace)
      : child_(child),
        streams_(streams),
        grace_(grace),
        started_(SteadyClock::now()),
        deadline_(started_ + timeout),
        pidfd_(static_cast<int>(::syscall(SYS_pidfd_open, child, 0))) {}

  struct Ending {
    int wait_status = 0;
    bool timed_out = false;
    bool status_lost = false;
    milliseconds duration{0};
  };

  Ending superviseToEnd() {
    while (!finished()) {
      enforceDeadlines();
      if (stage_ == Stage::Killed) break;
      waitForActivity();
      drain(streams_.stdout_fd, streams_.stdout_tail);
      drain(streams_.stderr_fd, streams_.stderr_tail);
      reapIfExited(WNOHANG);
    }
    if (!wait_status_) reapIfExited(0);
    // Whatever the child wrote before it exited is in the pipes now.
    drain(streams_.stdout_fd, streams_.stdout_tail);
    drain(streams_.stderr_fd, streams_.stderr_tail);
    const auto duration = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - started_);
    return Ending{wait_status_.value_or(0), stage_ != Stage::Running, lost_, duration};
  }

 private:
  enum class Stage { Running, Terminating, Killed };

  bool finished() const {
    if (!wait_status_) return false;
    // After a timeout, wait for the whole group (the grace period bounds this).
    return stage_ == Stage::Running || processGroupIsEmpty(child_);
  }

  void enforceDeadlines() {
    const auto now = SteadyClock::now();
    if (stage_ == Stage::Running && now >= deadline_) {
      ::kill(-child_, SIGTERM);
      stage_ = Stage::Terminating;
      deadline_ = now + grace_;
    } else if (stage_ == Stage::Terminating && now >= deadline_) {
      ::kill(-child_, SIGKILL);
      stage_ = Stage::Killed;
    }
  }

  void waitForActivity() {
    std::array<pollfd, 3> fds{};
    nfds_t count = 0;
    for (const UniqueFd* fd : {&streams_.stdout_fd, &streams_.stderr_fd}) {
      if (*fd) fds[count++] = pollfd{fd->get(), POLLIN, 0};
    }
    const bool watch_pidfd = pidfd_ && !wait_status_;
    if (watch_pidfd) fds[count++] = pollfd{pidfd_.get(), POLLIN, 0};
    auto wait = std::chrono::duration_cast<milliseconds>(deadline_ - SteadyClock::now());
    // Without a pidfd (or, after a timeout, to see the group empty) look again soon.
    if (!watch_pidfd) wait = std::min(wait, kPollFallbackInterval);
    wait = std::min(wait, kLongestPoll);
    wait = std::max(wait, milliseconds(0)) + milliseconds(1);
    ::poll(fds.data(), count, static_cast<int>(wait.count()));  // EINTR: just loop
  }

  void reapIfExited(int options) {
    if (wait_status_) return;
    int status = 0;
    pid_t result = 0;
    do {
      result = ::waitpid(child_, &status, options);
    } while (result < 0 && errno == EINTR);
    if (result == child_) {
      wait_status_ = status;
    } else if (result < 0 && errno == ECHILD) {
      lost_ = true;  // SIGCHLD set to SIG_IGN: the kernel reaped it, the status is gone
      wait_status_ = 0;
    }
  }

  pid_t child_;
  Streams& streams_;
  milliseconds grace_;
  SteadyClock::time_point started_;
  SteadyClock::time_point deadline_;
  UniqueFd pidfd_;
  Stage stage_ = Stage::Running;
  std::optional<int> wait_status_;
  bool lost_ = false;
};

std::string formatSeconds(milliseconds duration) {
  if (duration.count() % 1000 == 0) return fmt::format("{} s", duration.count() / 1000);
  return fmt::format("{:.3g} s", static_cast<double>(duration.count()) / 1000.0);
}

std::string stderrSummary(const Streams& streams) {
  const std::string line = lastLine(streams.stderr_tail.sanitizedTail());
  return line.empty() ? std::string(" (no output on stderr)") : ": " + line;
}

std::string signalName(int signal_number) {
  const char* abbreviation = ::sigabbrev_np(signal_number);
  const char* description = ::sigdescr_np(signal_number);
  if (abbreviation == nullptr) return fmt::format("signal {}", signal_number);
  return fmt::format("signal {} (SIG{}: {})", signal_number, abbreviation,
                     description != nullptr ? description : "?");
}

Result<ports::HookOutcome> interpretEnding(const ports::HookInvocation& invocation,
                                           const ChildSupervisor::Ending& ending,
                                           const Streams& streams) {
  const std::string who = fmt::format("{} ({})", invocation.label, programName(invocation));
  if (ending.timed_out) {
    return fail(ErrorKind::Transient, fmt::format("{} did not finish within {}; killed (process "
                                                  "group)",
                                                  who, formatSeconds(invocation.timeout)));
  }
  if (ending.status_lost) {
    return fail(ErrorKind::Internal,
                fmt::format("{}: its exit status was lost because SIGCHLD is ignored", who));
  }
  if (WIFSIGNALED(ending.wait_status)) {
    return fail(ErrorKind::Rejected,
                fmt::format("{} was killed by {}{}", who, signalName(WTERMSIG(ending.wait_status)),
                            stderrSummary(streams)));
  }
  const int status = WEXITSTATUS(ending.wait_status);
  if (status == kExitTemporaryFailure) {
    return fail(ErrorKind::Transient,
                fmt::format("{} exited with status 75 (temporary failure, will retry){}", who,
                            stderrSummary(streams)));
  }
  const bool accepted =
      std::find(invocation.accepted_exit_statuses.begin(), invocation.accepted_exit_statuses.end(),
                status) != invocation.accepted_exit_statuses.end();
  if (status != 0 && !accepted) {
    return fail(ErrorKind::Rejected,
                fmt::format("{} exited with status {}{}", who, status, stderrSummary(streams)));
  }
  return ports::HookOutcome{status,
                            ending.duration,
                            streams.stdout_tail.sanitizedTail(),
                            streams.stderr_tail.sanitizedTail(),
                            streams.stdout_tail.totalBytes(),
                            streams.stderr_tail.totalBytes()};
}

}  // namespace

Result<ports::HookOutcome> PosixHookRunner::run(const ports::HookInvocation& invocation) {
  if (auto valid = validateInvocation(invocation); !valid) return fail(valid.error());
  auto stdout_pipe = makePipe(invocation.label);
  if (!stdout_pipe) return fail(stdout_pipe.error());
  auto stderr_pipe = makePipe(invocation.label);
  if (!stderr_pipe) return fail(stderr_pipe.error());

  SpawnSetup setup;
  if (const int error_number = setup.configure(
          stdout_pipe->write_end.get(), stderr_pipe->write_end.get(), invocation.working_directory);
      error_number != 0) {
    return fail(files::systemError(programName(invocation), "prepare to run", error_number)
                    .withContext(invocation.label));
  }
  std::vector<char*> argv;
  argv.reserve(invocation.argv.size() + 1);
  for (const std::string& argument : invocation.argv)
    argv.push_back(const_cast<char*>(argument.c_str()));  // execve's signature, not modified
  argv.push_back(nullptr);

  pid_t child = 0;
  {
    ChildEnvironment environment(invocation);
    const int error_number = ::posix_spawn(&child, argv.front(), setup.actions(),
                                           setup.attributes(), argv.data(), environment.envp());
    if (error_number != 0) return fail(spawnError(invocation, error_number));
  }
  // Only the child may hold the write ends, or the reads below would never see end of file.
  stdout_pipe->write_end.reset();
  stderr_pipe->write_end.reset();

  Streams streams{std::move(stdout_pipe->read_end), std::move(stderr_pipe->read_end),
                  OutputTail(tail_bytes_), OutputTail(tail_bytes_)};
  ChildSupervisor supervisor(child, streams, invocation.timeout, invocation.kill_grace);
  const ChildSupervisor::Ending ending = supervisor.superviseToEnd();
  return interpretEnding(invocation, ending, streams);
}

}  // namespace daneguard::adapters::process
