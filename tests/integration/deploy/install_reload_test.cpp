// The install mode with a real server: a throwaway Postfix on loopback reads
// smtpd_tls_chain_files = DIR/combo.pem (key and chain in one file, as docs/deploy.md
// recommends), daneguard installs a new certificate and runs `postfix reload`, and what the
// server presents (fetched with `openssl s_client -starttls smtp`) follows. A reload list whose
// second command fails leaves Postfix presenting the old certificate.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "adapters/deploy/install_deployer.hpp"
#include "adapters/process/posix_hook_runner.hpp"
#include "integration/support/bind_fixture.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "unit/adapters/deploy/deploy_test_support.hpp"
#include "unit/adapters/process/hook_script.hpp"

namespace daneguard::adapters::deploy {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::fingerprint;
using ::testing::HasSubstr;
using testing::loadTestCertificate;
using testing::runCommand;
using testing::TempDir;
using testing::testPkiDir;

constexpr std::string_view kPostfix = "/usr/sbin/postfix";

/// A minimal Postfix that accepts and discards mail on 127.0.0.1:<port> with STARTTLS.
class LoopbackPostfix {
 public:
  LoopbackPostfix(const TempDir& work, const fs::path& chain_file) : work_(work) {
    port_ = testing::findFreePort({"127.0.0.1"});
    const std::string dir = work.path().string();
    for (const char* folder : {"postfix", "queue", "data"})
      fs::create_directories(work.path() / folder);
    runCommand({"chown", "postfix", dir + "/data"});  // master.lock: the mail owner's
    std::ostringstream main_cf;
    main_cf << "compatibility_level = 3.6\nqueue_directory = " << dir
            << "/queue\ndata_directory = " << dir
            << "/data\nmail_owner = postfix\nmyhostname = mail.example.test\nmydestination =\n"
               "inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\nmynetworks = 127.0.0.0/8\n"
               "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n"
               "default_transport = discard\nrelay_transport = discard\n"
               "local_transport = discard\nalias_maps =\nalias_database =\n"
               "smtpd_tls_security_level = may\nsmtpd_tls_chain_files = "
            << chain_file.string() << "\nmaillog_file_prefixes = " << dir
            << "\nmaillog_file = " << dir << "/postfix/maillog\n";
    work.write("postfix/main.cf", main_cf.str());
    work.write("postfix/master.cf",
               "127.0.0.1:" + std::to_string(port_) +
                   " inet n - n - - smtpd\n"
                   "pickup unix n - n 60 1 pickup\ncleanup unix n - n - 0 cleanup\n"
                   "qmgr unix n - n 300 1 qmgr\ntlsmgr unix - - n 1000? 1 tlsmgr\n"
                   "rewrite unix - - n - - trivial-rewrite\nbounce unix - - n - 0 bounce\n"
                   "defer unix - - n - 0 bounce\ntrace unix - - n - 0 bounce\n"
                   "verify unix - - n - 1 verify\nflush unix n - n 1000? 0 flush\n"
                   "proxymap unix - - n - - proxymap\nsmtp unix - - n - - smtp\n"
                   "showq unix n - n - - showq\nerror unix - - n - - error\n"
                   "discard unix - - n - - discard\nanvil unix - - n - 1 anvil\n"
                   "scache unix - - n - 1 scache\npostlog unix-dgram n - n - 1 postlogd\n");
    const auto started = runCommand({std::string(kPostfix), "-c", configDirectory(), "start"});
    if (started.exit_code != 0)
      throw std::runtime_error("postfix start failed: " + started.err + maillog());
    std::istringstream pid_text(testing::readTextFile(work.path() / "queue/pid/master.pid"));
    pid_text >> master_pid_;
  }
  ~LoopbackPostfix() {
    (void)runCommand({std::string(kPostfix), "-c", configDirectory(), "stop"});
    for (int i = 0; i < 100 && master_pid_ > 0 && testing::processAlive(master_pid_); ++i)
      std::this_thread::sleep_for(20ms);
    if (master_pid_ > 0 && testing::processAlive(master_pid_)) ::kill(master_pid_, SIGKILL);
  }
  LoopbackPostfix(const LoopbackPostfix&) = delete;
  LoopbackPostfix& operator=(const LoopbackPostfix&) = delete;

  std::string configDirectory() const { return (work_.path() / "postfix").string(); }
  std::string maillog() const { return testing::readTextFile(work_.path() / "postfix/maillog"); }

  /// Fingerprint of the certificate Postfix presents after STARTTLS; empty when none yet.
  std::string presentedFingerprint() const {
    const auto session =
        runCommand({"openssl", "s_client", "-starttls", "smtp", "-connect",
                    "127.0.0.1:" + std::to_string(port_), "-servername", "mail.example.test"},
                   "QUIT\r\n");
    const auto begin = session.out.find("-----BEGIN CERTIFICATE-----");
    const auto end = session.out.find("-----END CERTIFICATE-----");
    if (begin == std::string::npos || end == std::string::npos) return {};
    const fs::path file = work_.write("presented.pem", session.out.substr(begin, end + 26 - begin));
    return fingerprint(file);
  }

  /// Polls until Postfix presents `expected` (a reload takes effect within moments).
  bool presentsWithin(const std::string& expected, std::chrono::seconds limit) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    do {
      if (presentedFingerprint() == expected) return true;
      std::this_thread::sleep_for(100ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
  }

 private:
  const TempDir& work_;
  std::uint16_t port_ = 0;
  pid_t master_pid_ = -1;
};

TEST(InstallReload, PostfixServesTheNewSetAfterReloadAndTheOldOneWhenAReloadFails) {
  if (::geteuid() != 0 || !fs::exists(kPostfix)) GTEST_SKIP() << "needs root and Postfix";
  const TempDir work;
  fs::permissions(work.path(), fs::perms(0755));  // Postfix's daemons traverse it
  config::InstallDeploy settings;
  settings.directory = (work.path() / "tls").string();
  process::PosixHookRunner runner;
  InstallDeployer deployer(runner);
  const LoadedCertificate rsa = loadTestCertificate("rsa2048");
  const LoadedCertificate ecdsa = loadTestCertificate("ecdsa-p256");
  const std::string rsa_fingerprint = fingerprint(testPkiDir("rsa2048") / "leaf.pem");
  const std::string ecdsa_fingerprint = fingerprint(testPkiDir("ecdsa-p256") / "leaf.pem");

  ASSERT_TRUE(deployer.install(settings, {&rsa, 1}, "mail", "1111"));
  const LoopbackPostfix postfix(work, fs::path(settings.directory) / "combo.pem");
  ASSERT_TRUE(postfix.presentsWithin(rsa_fingerprint, 15s)) << postfix.maillog();

  settings.reload.commands = {{std::string(kPostfix), "-c", postfix.configDirectory(), "reload"}};
  settings.reload.timeout = 30s;
  const auto switched = deployer.install(settings, {&ecdsa, 1}, "mail", "2222");
  ASSERT_TRUE(switched) << switched.error().message;
  EXPECT_TRUE(postfix.presentsWithin(ecdsa_fingerprint, 10s)) << postfix.maillog();

  // Postfix reloads fine, the second service's reload fails: back to the ECDSA set everywhere.
  const fs::path failing = testing::writeHookScript(work, "reload-dovecot",
                                                    "echo 'doveconf: Fatal: bad ssl_key' >&2\n"
                                                    "exit 89\n");
  settings.reload.commands.push_back({failing.string()});
  const auto failed = deployer.install(settings, {&rsa, 1}, "mail", "3333");
  ASSERT_FALSE(failed);
  EXPECT_THAT(failed.error().message, HasSubstr("exited with status 89: doveconf: Fatal: bad "
                                                "ssl_key"));
  EXPECT_THAT(failed.error().message, HasSubstr("switched back to the previous files"));
  EXPECT_EQ(fingerprint(fs::path(settings.directory) / "combo.pem"), ecdsa_fingerprint);
  // Postfix did reload with the RSA set before the failure; the rollback's reload undid it.
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(postfix.presentsWithin(ecdsa_fingerprint, 10s)) << postfix.maillog();
}

}  // namespace
}  // namespace daneguard::adapters::deploy
