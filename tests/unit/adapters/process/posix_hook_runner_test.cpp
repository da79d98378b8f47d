#include "adapters/process/posix_hook_runner.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>

#include "support/temp_dir.hpp"
#include "unit/adapters/process/hook_script.hpp"

namespace daneguard::adapters::process {
namespace {

using namespace std::chrono_literals;
using testing::readWholeFile;
using testing::splitAtNul;
using testing::TempDir;
using testing::writeHookScript;

constexpr std::string_view kLabel = "deploy hook for service 'mail'";

ports::HookInvocation invocationFor(const std::filesystem::path& program,
                                    std::vector<std::string> arguments = {}) {
  ports::HookInvocation invocation;
  invocation.label = kLabel;
  invocation.argv.push_back(program.string());
  for (std::string& argument : arguments)
    invocation.argv.push_back(std::move(argument));
  invocation.timeout = 30s;
  invocation.kill_grace = 1s;
  return invocation;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

/// Gone, or a zombie waiting for a parent that never reaps (possible for an orphan in a
/// container whose init does not reap): either way it runs no more.
bool processIsGone(pid_t pid) {
  const std::string status = readWholeFile("/proc/" + std::to_string(pid) + "/stat");
  if (status.empty()) return true;
  const auto after_name = status.rfind(')');
  return after_name != std::string::npos && status.substr(after_name + 2, 1) == "Z";
}

// A variable of daneguard's own environment (where DaneBot users keep the TSIG secret) must not
// reach the hook; nor may anything else that was not asked for.
TEST(PosixHookRunner, HookEnvironmentIsTheAllowListPlusTheGivenVariablesOnly) {
  const std::string canary = "tsig-canary-7f3a91c2";
  ::setenv("DANEBOT_RFC2136_TSIG_SECRET", canary.c_str(), 1);
  TempDir dir;
  const auto record = dir.path() / "environ";
  const auto hook =
      writeHookScript(dir, "hook", "cat /proc/$$/environ > '" + record.string() + "'\n");
  auto invocation = invocationFor(hook);
  invocation.environment.push_back(ports::HookVariable::plain("DANEGUARD_SERVICE", "mail"));
  invocation.environment.push_back(
      ports::HookVariable{"SECRET_PEM", SecretBytes::copyOf("line 1\nline 2 = x\n")});

  const auto outcome = PosixHookRunner().run(invocation);
  ::unsetenv("DANEBOT_RFC2136_TSIG_SECRET");
  ASSERT_TRUE(outcome) << outcome.error().message;

  const std::string recorded = readWholeFile(record);
  EXPECT_FALSE(contains(recorded, canary));
  std::map<std::string, std::string> environment;
  for (const std::string& entry : splitAtNul(recorded)) {
    const auto equals = entry.find('=');
    environment[entry.substr(0, equals)] = entry.substr(equals + 1);
  }
  const std::map<std::string, std::string> expected = {{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"},
                                                       {"LANG", "C.UTF-8"},
                                                       {"DANEGUARD_SERVICE", "mail"},
                                                       {"SECRET_PEM", "line 1\nline 2 = x\n"}};
  EXPECT_EQ(environment, expected);
}

// No shell anywhere: every metacharacter arrives literally and nothing is executed.
TEST(PosixHookRunner, ArgumentsArriveVerbatim) {
  TempDir dir;
  const auto record = dir.path() / "cmdline";
  const auto hook =
      writeHookScript(dir, "my hook", "cat /proc/$$/cmdline > '" + record.string() + "'\n");
  const std::vector<std::string> arguments = {
      "two words", ";", "$(touch pwned)",  "`touch pwned2`", "*", "-n", "line\nbreak",
      "'\"\\",     "|", "&& touch pwned3", "$HOME",          ""};
  auto invocation = invocationFor(hook, arguments);
  invocation.working_directory = dir.path();
  const auto outcome = PosixHookRunner().run(invocation);
  ASSERT_TRUE(outcome) << outcome.error().message;

  // The kernel runs "/bin/sh <script> <args...>" for a #! script.
  std::vector<std::string> expected = {"/bin/sh", hook.string()};
  expected.insert(expected.end(), arguments.begin(), arguments.end());
  auto recorded = splitAtNul(readWholeFile(record));
  recorded.resize(expected.size());  // splitAtNul drops a trailing empty argument
  EXPECT_EQ(recorded, expected);
  for (const char* name : {"pwned", "pwned2", "pwned3"})
    EXPECT_FALSE(std::filesystem::exists(dir.path() / name)) << name;
}

TEST(PosixHookRunner, RunsInTheWorkingDirectoryWithStdinFromDevNull) {
  TempDir dir;
  const auto hook = writeHookScript(dir, "hook", "pwd; readlink /proc/$$/fd/0; cat\n");
  auto invocation = invocationFor(hook);
  invocation.working_directory = dir.path();
  const auto outcome = PosixHookRunner().run(invocation);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->stdout_tail, dir.path().string() + "\n/dev/null\n");
}

// Descriptors daneguard holds (here one deliberately opened without O_CLOEXEC, as a careless
// library might) never reach the hook; only 0, 1 and 2 plus what /bin/sh opens itself.
TEST(PosixHookRunner, HookInheritsNoOtherFileDescriptors) {
  TempDir dir;
  const auto canary_file = dir.write("leak-canary", "x");
  const int leaked = ::open(canary_file.c_str(), O_RDONLY);  // no O_CLOEXEC on purpose
  ASSERT_GE(leaked, 0);
  const auto hook = writeHookScript(dir, "hook", "ls -l /proc/$$/fd\n");
  const auto outcome = PosixHookRunner().run(invocationFor(hook));
  ::close(leaked);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_FALSE(contains(outcome->stdout_tail, "leak-canary")) << outcome->stdout_tail;
  std::istringstream lines(outcome->stdout_tail);
  for (std::string line; std::getline(lines, line);) {
    const auto arrow = line.find(" -> ");
    if (arrow == std::string::npos) continue;
    const auto number_start = line.rfind(' ', arrow - 1) + 1;
    const int fd = std::stoi(line.substr(number_start, arrow - number_start));
    const std::string target = line.substr(arrow + 4);
    if (fd == 0) {
      EXPECT_EQ(target, "/dev/null");
    } else if (fd == 1 || fd == 2) {
      EXPECT_TRUE(target.starts_with("pipe:")) << line;
    } else {
      // dash keeps its script open and a copy of /dev/null; nothing else is allowed.
      EXPECT_TRUE(target == hook.string() || target == "/dev/null") << line;
    }
  }
}

TEST(PosixHookRunner, SignalsIgnoredByDaneguardAreNotIgnoredInTheHook) {
  TempDir dir;
  const auto hook = writeHookScript(dir, "hook", "grep SigIgn /proc/$$/status\n");
  struct sigaction previous {};
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);
  const auto outcome = PosixHookRunner().run(invocationFor(hook));
  ::sigaction(SIGPIPE, &previous, nullptr);
  ASSERT_TRUE(outcome) << outcome.error().message;
  const std::string mask_hex = outcome->stdout_tail.substr(outcome->stdout_tail.find(':') + 1);
  const unsigned long long mask = std::stoull(mask_hex, nullptr, 16);
  EXPECT_EQ(mask & (1ULL << (SIGPIPE - 1)), 0ULL) << outcome->stdout_tail;
}

// With SIGCHLD ignored the kernel reaps children itself: no status to report, but no hang and
// no false success either.
TEST(PosixHookRunner, LostExitStatusIsAnErrorNotASuccess) {
  TempDir dir;
  const auto hook = writeHookScript(dir, "hook", "exit 0\n");
  struct sigaction previous {};
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGCHLD, &ignore, &previous);
  const auto outcome = PosixHookRunner().run(invocationFor(hook));
  ::sigaction(SIGCHLD, &previous, nullptr);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::Internal);
  EXPECT_TRUE(contains(outcome.error().message, "SIGCHLD")) << outcome.error().message;
}

TEST(PosixHookRunner, AcceptedExitStatusIsAnAnswerNotAFailure) {
  TempDir dir;
  const auto hook = writeHookScript(dir, "publish", "exit 1\n");
  auto invocation = invocationFor(hook);
  invocation.accepted_exit_statuses = {1};
  const auto accepted = PosixHookRunner().run(invocation);
  ASSERT_TRUE(accepted) << accepted.error().message;
  EXPECT_EQ(accepted->exit_status, 1);
  const auto other = writeHookScript(dir, "publish-failing", "exit 2\n");
  auto failing = invocationFor(other);
  failing.accepted_exit_statuses = {1};
  const auto rejected = PosixHookRunner().run(failing);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().kind, ErrorKind::Rejected);
}

TEST(PosixHookRunner, NonZeroExitIsRejectedWithStatusAndLastStderrLine) {
  TempDir dir;
  const auto hook = writeHookScript(
      dir, "deploy", "echo 'copying files' >&2\necho 'postfix reload failed' >&2\nexit 3\n");
  const auto outcome = PosixHookRunner().run(invocationFor(hook));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::Rejected);
  EXPECT_EQ(outcome.error().message, std::string(kLabel) + " (" + hook.string() +
                                         ") exited with status 3: postfix reload failed");
}

TEST(PosixHookRunner, ExitStatus75MeansTryAgainLater) {
  TempDir dir;
  const auto hook = writeHookScript(dir, "deploy", "exit 75\n");
  const auto outcome = PosixHookRunner().run(invocationFor(hook));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::Transient);
  EXPECT_TRUE(contains(outcome.error().message, "status 75")) << outcome.error().message;
}

TEST(PosixHookRunner, DeathBySignalNamesTheSignal) {
  TempDir dir;
  const auto hook = writeHookScript(dir, "deploy", "kill -SEGV $$\n");
  const auto outcome = PosixHookRunner().run(invocationFor(hook));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::Rejected);
  EXPECT_TRUE(contains(outcome.error().message, "killed by signal 11 (SIGSEGV"))
      << outcome.error().message;
}

// The hook leaves a background child that ignores SIGTERM and keeps the output pipe open:
// the timeout must still end the run, and SIGKILL to the process group must reach that child.
TEST(PosixHookRunner, TimeoutKillsTheWholeProcessGroup) {
  TempDir dir;
  const auto pid_file = dir.path() / "grandchild.pid";
  const auto hook = writeHookScript(dir, "slow",
                                    "(trap '' TERM; exec sleep 60) &\n"
                                    "echo $! > '" +
                                        pid_file.string() +
                                        "'\n"
                                        "sleep 60\n");
  auto invocation = invocationFor(hook);
  invocation.timeout = 1s;
  invocation.kill_grace = 1s;
  const auto started = std::chrono::steady_clock::now();
  const auto outcome = PosixHookRunner().run(invocation);
  const auto elapsed = std::chrono::steady_clock::now() - started;

  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::Transient);
  EXPECT_EQ(outcome.error().message, std::string(kLabel) + " (" + hook.string() +
                                         ") did not finish within 1 s; killed (process group)");
  EXPECT_GE(elapsed, 2s);  // SIGTERM was ignored by the grandchild: the grace period ran out
  EXPECT_LT(elapsed, 10s);
  const pid_t grandchild = std::stoi(readWholeFile(pid_file));
  for (int i = 0; i < 50 && !processIsGone(grandchild); ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(processIsGone(grandchild)) << "grandchild " << grandchild << " survived";
}

TEST(PosixHookRunner, TimeoutEndsEarlyWhenTheGroupObeysSigterm) {
  TempDir dir;
  const auto hook = writeHookScript(dir, "slow", "exec sleep 60\n");
  auto invocation = invocationFor(hook);
  invocation.timeout = 500ms;
  invocation.kill_grace = 20s;
  const auto started = std::chrono::steady_clock::now();
  const auto outcome = PosixHookRunner().run(invocation);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::Transient);
  EXPECT_TRUE(contains(outcome.error().message, "within 0.5 s")) << outcome.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

// Both pipes are filled far beyond their kernel buffers at once: a reader that drained only
// one stream at a time would deadlock here.
TEST(PosixHookRunner, MegabytesOfOutputNeitherDeadlockNorGrowTheTail) {
  TempDir dir;
  const auto hook = writeHookScript(dir, "noisy",
                                    "head -c 3000000 /dev/zero | tr '\\0' 'e' >&2 &\n"
                                    "head -c 10000000 /dev/zero | tr '\\0' 'x'\n"
                                    "wait\n"
                                    "echo; echo END\n");
  const auto outcome = PosixHookRunner().run(invocationFor(hook));
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->stdout_bytes, 10000000U + 5U);
  EXPECT_EQ(outcome->stderr_bytes, 3000000U);
  EXPECT_EQ(outcome->stdout_tail.size(), PosixHookRunner::kDefaultTailBytes);
  EXPECT_TRUE(outcome->stdout_tail.ends_with("x\nEND\n"));
  EXPECT_EQ(outcome->stderr_tail, std::string(PosixHookRunner::kDefaultTailBytes, 'e'));
}

TEST(PosixHookRunner, OutputTailsAreSafeForALog) {
  TempDir dir;
  const auto hook = writeHookScript(dir, "hook", "printf 'a\\000b\\033[31mred\\033[0m \\377\\n'\n");
  const auto outcome = PosixHookRunner().run(invocationFor(hook));
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->stdout_tail, "abred \xef\xbf\xbd\n");
}

TEST(PosixHookRunner, MissingProgramIsNotFoundAndNamesThePath) {
  const auto outcome = PosixHookRunner().run(invocationFor("/nonexistent/deploy-hook"));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::NotFound);
  EXPECT_EQ(outcome.error().message,
            std::string(kLabel) + ": program /nonexistent/deploy-hook does not exist");
}

TEST(PosixHookRunner, FileWithoutExecutePermissionIsRefused) {
  TempDir dir;
  const auto hook = writeHookScript(dir, "hook", "exit 0\n");
  ::chmod(hook.c_str(), 0600);
  const auto outcome = PosixHookRunner().run(invocationFor(hook));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::Permission);
  EXPECT_TRUE(contains(outcome.error().message, hook.string() + " is not executable"))
      << outcome.error().message;
}

TEST(PosixHookRunner, MissingInterpreterIsNotFoundWithAHint) {
  TempDir dir;
  const auto hook = dir.write("hook", "#!/nonexistent/interpreter\n");
  ::chmod(hook.c_str(), 0700);
  const auto outcome = PosixHookRunner().run(invocationFor(hook));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::NotFound);
  EXPECT_TRUE(contains(outcome.error().message, hook.string())) << outcome.error().message;
  EXPECT_TRUE(contains(outcome.error().message, "#!")) << outcome.error().message;
}

TEST(PosixHookRunner, RelativeProgramPathIsRefused) {
  const auto outcome = PosixHookRunner().run(invocationFor("deploy.sh"));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::InvalidInput);
  EXPECT_TRUE(contains(outcome.error().message, "absolute path")) << outcome.error().message;
}

// Someone who can rewrite the hook (or swap it via its directory) could run code as daneguard.
TEST(PosixHookRunner, HookWritableByOthersIsRefused) {
  TempDir dir;
  const auto record = dir.path() / "ran";
  const auto hook = writeHookScript(dir, "hooks/deploy", "touch '" + record.string() + "'\n");
  ::chmod(hook.c_str(), 0775);
  auto outcome = PosixHookRunner().run(invocationFor(hook));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::Permission);
  EXPECT_TRUE(contains(outcome.error().message, "writable by group or others"));

  ::chmod(hook.c_str(), 0755);
  ::chmod(hook.parent_path().c_str(), 0777);
  outcome = PosixHookRunner().run(invocationFor(hook));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::Permission);
  EXPECT_TRUE(contains(outcome.error().message, hook.parent_path().string() + " is writable"))
      << outcome.error().message;
  EXPECT_FALSE(std::filesystem::exists(record));

  ::chmod(hook.parent_path().c_str(), 0755);
  EXPECT_TRUE(PosixHookRunner().run(invocationFor(hook)));
  EXPECT_TRUE(std::filesystem::exists(record));
}

TEST(PosixHookRunner, InvalidVariableNamesAndDuplicatesAreRefused) {
  TempDir dir;
  const auto hook = writeHookScript(dir, "hook", "exit 0\n");
  for (const char* name : {"BAD=NAME", "", "1ABC", "PATH"}) {
    auto invocation = invocationFor(hook);
    invocation.environment.push_back(ports::HookVariable::plain(name, "x"));
    const auto outcome = PosixHookRunner().run(invocation);
    ASSERT_FALSE(outcome) << name;
    EXPECT_EQ(outcome.error().kind, ErrorKind::InvalidInput) << name;
  }
}

}  // namespace
}  // namespace daneguard::adapters::process
