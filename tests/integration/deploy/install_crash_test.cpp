// Kills a process in the middle of installs, at random instants, many times, and checks after
// every kill that the paths a server reads (DIR/cert.pem with DIR/privkey.pem, DIR/combo.pem)
// hold a key and a certificate that belong together, as the openssl CLI sees them. The child
// alternates between an RSA and an ECDSA certificate, so a torn set would pair different keys.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

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
using testing::TempDir;
using testing::testPkiDir;

constexpr int kKills = 200;
constexpr auto kTimeBudget = 30s;  // the ctest timeout is 60 s; stop early on a slow machine
constexpr int kMinimumKills = 60;

/// Installs the two certificates in turn, forever; only a signal ends it.
[[noreturn]] void installForever(const config::InstallDeploy& settings,
                                 const std::array<LoadedCertificate, 2>& certificates,
                                 unsigned seed) {
  process::PosixHookRunner runner;
  InstallDeployer deployer(runner);
  for (unsigned i = seed;; ++i) {
    const LoadedCertificate& certificate = certificates[i % 2];
    (void)deployer.install(settings, {&certificate, 1}, "mail", i % 2 == 0 ? "aaaa" : "bbbb");
  }
}

/// What a server would read through the documented paths, captured after a kill.
struct ServedFiles {
  std::string certificate;  // DIR/cert.pem
  std::string key;          // DIR/privkey.pem
  std::string fullchain;    // DIR/fullchain.pem
  std::string combo;        // DIR/combo.pem
  auto operator<=>(const ServedFiles&) const = default;
};

ServedFiles readServed(const fs::path& dir) {
  return {testing::readTextFile(dir / "cert.pem"), testing::readTextFile(dir / "privkey.pem"),
          testing::readTextFile(dir / "fullchain.pem"), testing::readTextFile(dir / "combo.pem")};
}

TEST(InstallCrash, KilledAtRandomPointsTheDirectoryAlwaysHoldsAMatchingSet) {
  const TempDir work;
  config::InstallDeploy settings;
  settings.directory = (work.path() / "tls").string();
  const fs::path dir = settings.directory;
  const std::array<LoadedCertificate, 2> certificates = {loadTestCertificate("rsa2048"),
                                                         loadTestCertificate("ecdsa-p256")};
  // A complete set exists before the first kill, as after any first deploy. Timing two
  // switching installs tells how long to let a child run so that kills land before, during
  // and after switches on this machine.
  std::chrono::microseconds install_time{};
  {
    process::PosixHookRunner runner;
    InstallDeployer deployer(runner);
    ASSERT_TRUE(deployer.install(settings, {&certificates[0], 1}, "mail", "aaaa"));
    const auto before = std::chrono::steady_clock::now();
    ASSERT_TRUE(deployer.install(settings, {&certificates[1], 1}, "mail", "bbbb"));
    ASSERT_TRUE(deployer.install(settings, {&certificates[0], 1}, "mail", "aaaa"));
    install_time = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now() - before) /
                   2;
  }

  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<long> delay_us(0, 3 * install_time.count() + 1000);
  // Each distinct state is checked once with the openssl CLI below (there are few), which keeps
  // 200 kills well inside the test timeout.
  std::map<ServedFiles, int> states;
  const auto started = std::chrono::steady_clock::now();
  int kills = 0;
  int killed_while_writing = 0;  // a half-written version was left: the kill hit an install
  for (; kills < kKills && std::chrono::steady_clock::now() - started < kTimeBudget; ++kills) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) installForever(settings, certificates, static_cast<unsigned>(kills));
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the installer stopped by itself (status " << status << ")";
    states.emplace(readServed(dir), kills);
    for (const auto& entry : fs::directory_iterator(dir / "versions"))
      if (entry.path().filename().string().starts_with(".incomplete-")) {
        ++killed_while_writing;
        break;
      }
  }
  EXPECT_GE(kills, kMinimumKills) << "too slow to kill often enough";
  EXPECT_GT(killed_while_writing, 0) << "no kill landed in the middle of an install";
  std::cout << kills << " kills (" << killed_while_writing << " while a version was being "
            << "written), one install takes about " << install_time.count() << " us, "
            << states.size() << " distinct states\n";

  const std::set<std::string> known = {fingerprint(testPkiDir("rsa2048") / "leaf.pem"),
                                       fingerprint(testPkiDir("ecdsa-p256") / "leaf.pem")};
  std::set<std::string> served;
  for (const auto& [state, first_kill] : states) {
    SCOPED_TRACE("state first seen after kill " + std::to_string(first_kill));
    const fs::path cert = work.write("check/cert.pem", state.certificate);
    const fs::path key = work.write("check/privkey.pem", state.key);
    const fs::path fullchain = work.write("check/fullchain.pem", state.fullchain);
    const fs::path combo = work.write("check/combo.pem", state.combo);
    const std::string certificate_key = certificatePublicKey(cert);
    ASSERT_FALSE(certificate_key.empty()) << "no readable cert.pem";
    EXPECT_EQ(privateKeyPublicKey(key), certificate_key);
    EXPECT_EQ(privateKeyPublicKey(combo), certificate_key);
    EXPECT_EQ(certificatePublicKey(combo), certificate_key);
    const std::string served_fingerprint = fingerprint(cert);
    EXPECT_TRUE(known.contains(served_fingerprint)) << served_fingerprint;
    EXPECT_EQ(fingerprint(fullchain), served_fingerprint);
    served.insert(served_fingerprint);
  }
  // The kills did land around switches (both certificates were seen in service), and no kill
  // produced a state other than the two complete sets.
  EXPECT_EQ(served.size(), 2u);
  EXPECT_EQ(states.size(), 2u);

  // Whatever the crashes left behind, one clean install prunes it to current + previous.
  process::PosixHookRunner runner;
  InstallDeployer deployer(runner);
  ASSERT_TRUE(deployer.install(settings, {&certificates[1], 1}, "mail", "bbbb"));
  ASSERT_TRUE(deployer.install(settings, {&certificates[0], 1}, "mail", "aaaa"));
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(dir / "versions"))
    left.push_back(entry.path().filename().string());
  EXPECT_EQ(left.size(), 2u) << ::testing::PrintToString(left);
  for (const auto& entry : fs::directory_iterator(dir))
    EXPECT_EQ(entry.path().filename().string().find(".daneguard-"), std::string::npos)
        << entry.path();
}

}  // namespace
}  // namespace daneguard::adapters::deploy
