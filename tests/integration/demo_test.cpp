// `daneguard demo` as a user runs it: the real binary, a real BIND primary and secondary, the
// production rollover. Checks the timeline's order and its waits (the cache windows follow from
// the demo's TTLs, not from the demo's own output), the final verdict, the wall time, and that
// nothing is left behind: no directory in TMPDIR, no named process. Also after Ctrl-C.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace daneguard::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool namedInstalled() {
  return programExists("named") || fs::exists("/usr/sbin/named") || fs::exists("/sbin/named");
}

/// Pids of processes whose command line mentions `text` (e.g. a named started below a dir).
std::vector<std::string> processesMentioning(const std::string& text) {
  std::vector<std::string> found;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", error)) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    const std::string cmdline((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    if (cmdline.find(text) != std::string::npos && pid != std::to_string(getpid()))
      found.push_back(pid + ": " + cmdline);
  }
  return found;
}

std::vector<std::string> entriesOf(const fs::path& dir) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  return names;
}

/// Seconds printed at the start of the first timeline line at or after `from` that contains
/// `text` ("[ 12.3s] published ..."); -1 when there is none.
double secondsOfLine(const std::string& out, const std::string& text, std::size_t from = 0) {
  const auto at = out.find(text, from);
  if (at == std::string::npos) return -1;
  const auto line_start = out.rfind('\n', at) + 1;
  static const std::regex stamp(R"(^\[\s*([0-9]+\.[0-9])s\])");
  std::smatch match;
  const std::string line = out.substr(line_start, at - line_start + text.size());
  if (!std::regex_search(line, match, stamp)) return -1;
  return std::stod(match[1].str());
}

TEST(Demo, RunsACompleteRolloverInUnderAMinuteAndLeavesNothingBehind) {
  TempDir tmp;  // the demo's TMPDIR: must be empty again afterwards
  const auto started = std::chrono::steady_clock::now();
  const CommandResult result =
      runCommand({"env", "TMPDIR=" + tmp.path().string(), DANEGUARD_BINARY, "demo"});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(entriesOf(tmp.path()).empty()) << "left behind in TMPDIR";
  EXPECT_TRUE(processesMentioning(tmp.path().string()).empty());

  if (!namedInstalled()) {
    EXPECT_EQ(result.exit_code, 66) << result.err;  // NotFound: the package is missing
    EXPECT_NE(result.err.find("bind9"), std::string::npos) << result.err;
    GTEST_SKIP() << "named is not installed; checked the message only";
  }
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_LT(took, 60s);
  const std::string& out = result.out;

  // The three phases and the end state, in this order.
  const auto first = out.find("== 1/3 first enablement");
  const auto same_key = out.find("== 2/3 renewal with the same key");
  const auto new_key = out.find("== 3/3 renewal with a new key");
  const auto end = out.find("== end state");
  ASSERT_NE(first, std::string::npos) << out;
  ASSERT_NE(same_key, std::string::npos) << out;
  ASSERT_NE(new_key, std::string::npos) << out;
  ASSERT_NE(end, std::string::npos) << out;
  EXPECT_LT(first, same_key);
  EXPECT_LT(same_key, new_key);
  EXPECT_LT(new_key, end);

  // Negative TTL min(SOA MINIMUM 2, SOA TTL 3) = 2 s, factor 2, margin 1 s: the first deploy
  // comes at least 5 s after the publish (4 s allowing for whole-second clock readings).
  const std::string phase1 = out.substr(first, same_key - first);
  const double published1 = secondsOfLine(out, "] published 3 1 1", first);
  const double deployed1 = secondsOfLine(out, "] deployed", first);
  ASSERT_GE(published1, 0) << phase1;
  ASSERT_GT(deployed1, published1) << phase1;
  EXPECT_LT(deployed1, secondsOfLine(out, "== 2/3", 0) + 0.1);
  EXPECT_GE(deployed1 - published1, 4.0) << phase1;
  EXPECT_NE(phase1.find("hook: "), std::string::npos) << phase1;  // the hook ran and logged

  // Same key: deployed with no publish or retire, and no wait to speak of.
  const std::string phase2 = out.substr(same_key, new_key - same_key);
  EXPECT_EQ(phase2.find("] published"), std::string::npos) << phase2;
  EXPECT_EQ(phase2.find("] retired"), std::string::npos) << phase2;
  EXPECT_EQ(phase2.find("waiting"), std::string::npos) << phase2;
  EXPECT_NE(phase2.find("] deployed"), std::string::npos) << phase2;
  EXPECT_LT(secondsOfLine(out, "] deployed", same_key) -
                secondsOfLine(out, "the ACME client wrote certificate #2", same_key),
            3.0);

  // New key: publish next to the old, wait 2 x TTL 2 s + 1 s after full visibility, deploy,
  // retire the old record, in that order.
  const std::string phase3 = out.substr(new_key, end - new_key);
  const double published3 = secondsOfLine(out, "] published 3 1 1", new_key);
  const double deployed3 = secondsOfLine(out, "] deployed", new_key);
  const double retired3 = secondsOfLine(out, "] retired 3 1 1", new_key);
  ASSERT_GE(published3, 0) << phase3;
  ASSERT_GE(retired3, 0) << phase3;
  EXPECT_GE(deployed3 - published3, 4.0) << phase3;
  EXPECT_GE(retired3, deployed3) << phase3;
  EXPECT_NE(out.find("(key 2)", out.find("] published 3 1 1", new_key)), std::string::npos);
  // The old key's record is the one retired.
  const auto retired_line = out.substr(out.find("] retired 3 1 1", new_key));
  EXPECT_NE(retired_line.substr(0, retired_line.find('\n')).find("(key 1)"), std::string::npos)
      << retired_line;

  // The verdict, from what DNS serves and what the hook installed.
  EXPECT_NE(out.find("holds certificate #3 (key 2", end), std::string::npos) << out;
  EXPECT_NE(out.find("verdict: OK - the served certificate matches the published TLSA RRset on "
                     "all 2 authoritative servers",
                     end),
            std::string::npos)
      << out;
}

/// Spawns the demo with stdout on a pipe, sends SIGINT once it is waiting, and returns the exit
/// status (128 + signal when killed) and the output read.
struct Interrupted {
  int exit_code = -1;
  std::string out;
  bool saw_wait = false;
};

Interrupted interruptWhileWaiting(const fs::path& tmpdir) {
  Interrupted result;
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return result;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> environment{"TMPDIR=" + tmpdir.string()};
  for (char** variable = environ; *variable != nullptr; ++variable)
    if (std::string_view(*variable).substr(0, 7) != "TMPDIR=") environment.emplace_back(*variable);
  std::vector<char*> envp;
  for (std::string& variable : environment)
    envp.push_back(variable.data());
  envp.push_back(nullptr);
  std::string binary = DANEGUARD_BINARY;
  std::string command = "demo";
  char* argv[] = {binary.data(), command.data(), nullptr};
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawned != 0) {
    close(pipe_fds[0]);
    return result;
  }
  const auto deadline = std::chrono::steady_clock::now() + 45s;
  char buffer[4096];
  bool signalled = false;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd readable{pipe_fds[0], POLLIN, 0};
    if (poll(&readable, 1, 200) <= 0) continue;
    const ssize_t got = read(pipe_fds[0], buffer, sizeof buffer);
    if (got <= 0) break;
    result.out.append(buffer, static_cast<std::size_t>(got));
    if (!signalled && result.out.find("] waiting") != std::string::npos) {
      result.saw_wait = true;
      kill(pid, SIGINT);
      signalled = true;
    }
  }
  if (!signalled) kill(pid, SIGKILL);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

TEST(Demo, CtrlCDuringAWaitStopsTheServersAndRemovesTheDirectory) {
  if (!namedInstalled()) GTEST_SKIP() << "named is not installed";
  TempDir tmp;
  const auto started = std::chrono::steady_clock::now();
  const Interrupted result = interruptWhileWaiting(tmp.path());
  ASSERT_TRUE(result.saw_wait) << result.out;
  EXPECT_EQ(result.exit_code, 128 + SIGINT) << result.out;
  // The wait was cut short: well before the rollover could have finished.
  EXPECT_EQ(result.out.find("verdict"), std::string::npos) << result.out;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 45s);
  EXPECT_TRUE(entriesOf(tmp.path()).empty()) << "left behind in TMPDIR";
  EXPECT_TRUE(processesMentioning(tmp.path().string()).empty());
}

}  // namespace
}  // namespace daneguard::testing
