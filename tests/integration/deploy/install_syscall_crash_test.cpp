// Crashes an install deterministically before each of its file system calls in turn: the
// install runs in a child process (this test binary, filtered to InstallStep.OneInstall) under
// `strace -e inject=<syscall>:signal=KILL:when=N`, which kills it on entry to its N-th call of
// that syscall, for N = 1, 2, ... until an install completes. Random kills (install_crash_test)
// rarely land between two renames microseconds apart; this lands on every one, so a torn
// switch (files replaced one by one) would show up as a key that does not match its
// certificate. Checked after each kill with the openssl CLI.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "adapters/deploy/install_deployer.hpp"
#include "adapters/process/posix_hook_runner.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "unit/adapters/deploy/deploy_test_support.hpp"

namespace daneguard::adapters::deploy {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::certificatePublicKey;
using testing::fingerprint;
using testing::loadTestCertificate;
using testing::privateKeyPublicKey;
using testing::readTextFile;
using testing::runCommand;
using testing::TempDir;
using testing::testPkiDir;

constexpr const char* kDirectoryVariable = "DANEGUARD_STEP_INSTALL_DIR";
constexpr const char* kKeyTypeVariable = "DANEGUARD_STEP_KEY_TYPE";
constexpr auto kTimeBudget = 40s;

// The child: one install of the certificate named by the environment, nothing else.
TEST(InstallStep, OneInstall) {
  const char* directory = std::getenv(kDirectoryVariable);
  const char* key_type = std::getenv(kKeyTypeVariable);
  if (directory == nullptr || key_type == nullptr) GTEST_SKIP() << "a helper of SyscallCrash";
  const LoadedCertificate certificate = loadTestCertificate(key_type);
  config::InstallDeploy settings;
  settings.directory = directory;
  process::PosixHookRunner runner;
  InstallDeployer deployer(runner);
  const auto installed = deployer.install(settings, {&certificate, 1}, "mail", key_type);
  ASSERT_TRUE(installed) << installed.error().message;
}

struct ServedFiles {
  std::string certificate;
  std::string key;
  std::string fullchain;
  std::string combo;
  auto operator<=>(const ServedFiles&) const = default;
};

TEST(InstallStep, KilledBeforeEachFileSystemCallTheDirectoryHoldsAMatchingSet) {
  if (!testing::programExists("strace")) GTEST_SKIP() << "needs strace";
  const TempDir work;
  const fs::path dir = work.path() / "tls";
  const fs::path self = fs::read_symlink("/proc/self/exe");
  const auto runInstall = [&](const std::string& key_type, const std::string& syscall, int n) {
    // The child must use this process's test PKI, not generate its own.
    std::vector<std::string> argv = {
        "env", std::string(kDirectoryVariable) + "=" + dir.string(),
        std::string(kKeyTypeVariable) + "=" + key_type,
        "DANEGUARD_TEST_PKI_DIR=" + testPkiDir("rsa2048").parent_path().string(),
        // LeakSanitizer cannot run under ptrace (sanitizer builds); other builds ignore this.
        "ASAN_OPTIONS=detect_leaks=0"};
    if (!syscall.empty()) {
      argv.insert(argv.end(), {"strace", "-f", "-o", "/dev/null", "-e", "trace=" + syscall, "-e",
                               "inject=" + syscall + ":signal=KILL:when=" + std::to_string(n)});
    }
    argv.insert(argv.end(), {self.string(), "--gtest_filter=InstallStep.OneInstall"});
    return runCommand(argv);
  };
  const auto first = runInstall("rsa2048", "", 0);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;

  std::map<ServedFiles, std::string> states;  // each distinct state, and where it was seen
  std::string next = "ecdsa-p256";
  int kills = 0;
  const auto started = std::chrono::steady_clock::now();
  for (const std::string syscall : {"rename", "symlink", "fsync", "mkdir", "unlink", "fchmod"}) {
    for (int n = 1; n < 200 && std::chrono::steady_clock::now() - started < kTimeBudget; ++n) {
      const auto run = runInstall(next, syscall, n);
      states.emplace(
          ServedFiles{readTextFile(dir / "cert.pem"), readTextFile(dir / "privkey.pem"),
                      readTextFile(dir / "fullchain.pem"), readTextFile(dir / "combo.pem")},
          syscall + " #" + std::to_string(n));
      if (run.exit_code == 128 + 9) {
        ++kills;
        continue;
      }
      ASSERT_EQ(run.exit_code, 0) << syscall << " #" << n << ": " << run.out << run.err;
      next = next == "rsa2048" ? "ecdsa-p256" : "rsa2048";  // completed: switch back next
      break;
    }
  }
  std::cout << kills << " kills at distinct system calls, " << states.size()
            << " distinct states\n";
  EXPECT_GE(kills, 20) << "the installs made fewer file system calls than expected";

  const std::set<std::string> known = {fingerprint(testPkiDir("rsa2048") / "leaf.pem"),
                                       fingerprint(testPkiDir("ecdsa-p256") / "leaf.pem")};
  for (const auto& [state, where] : states) {
    SCOPED_TRACE("state first seen after a kill at " + where);
    const fs::path cert = work.write("check/cert.pem", state.certificate);
    const fs::path key = work.write("check/privkey.pem", state.key);
    const fs::path combo = work.write("check/combo.pem", state.combo);
    const std::string certificate_key = certificatePublicKey(cert);
    ASSERT_FALSE(certificate_key.empty()) << "no readable cert.pem";
    EXPECT_EQ(privateKeyPublicKey(key), certificate_key);
    EXPECT_EQ(privateKeyPublicKey(combo), certificate_key);
    EXPECT_EQ(certificatePublicKey(combo), certificate_key);
    EXPECT_TRUE(known.contains(fingerprint(cert)));
    EXPECT_EQ(fingerprint(work.write("check/fullchain.pem", state.fullchain)), fingerprint(cert));
  }
}

}  // namespace
}  // namespace daneguard::adapters::deploy
