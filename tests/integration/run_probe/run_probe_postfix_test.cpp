// The rollover end to end with probes on: the real daneguard binary against a signed BIND zone
// (primary + secondary on port 53 in a private network namespace) and a real Postfix with
// STARTTLS on 127.0.0.1 and ::1. The deploy hook copies the new key and chain over Postfix's
// files and runs `postfix -c DIR reload`; the "forgetful" hook copies but never reloads. What DNS
// serves is read with dig, what Postfix serves with `openssl s_client`, never through daneguard.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "integration/support/e2e_world.hpp"
#include "integration/support/postfix_fixture.hpp"

namespace daneguard::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Records = std::multiset<std::string>;

std::string both(const CommandResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\n--- stdout\n" + result.out +
         "--- stderr\n" + result.err;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string readWhole(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void writeWhole(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

/// The certificate's key and leaf + issuer files, as Postfix's smtpd_tls_chain_files wants them.
PostfixChainFiles chainFiles(const E2eCertificate& certificate) {
  const fs::path folder = certificate.bundle.parent_path();
  const std::string bundle = readWhole(certificate.bundle);
  PostfixChainFiles files{folder / "leaf.key", folder / "chain-for-postfix.pem"};
  writeWhole(files.certificates, bundle.substr(bundle.find("-----BEGIN CERTIFICATE-----")));
  return files;
}

/// SHA-256 fingerprint of the leaf Postfix presents at `address` (openssl s_client, STARTTLS).
std::string servedFingerprint(const std::string& address, std::uint16_t port) {
  const std::string connect =
      (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" +
      std::to_string(port);
  const CommandResult result =
      runCommand({"sh", "-c",
                  "echo QUIT | openssl s_client -starttls smtp -connect " + connect +
                      " 2>/dev/null | openssl x509 -noout -fingerprint -sha256"});
  const std::string out = result.out;
  return out.substr(0, out.find('\n'));
}

class RunProbePostfix : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = E2eWorld::unavailableReason()) GTEST_SKIP() << *reason;
    for (const char* program : {"/usr/sbin/postfix", "/usr/sbin/postconf"})
      if (!fs::exists(program)) GTEST_SKIP() << program << " is not installed (postfix)";
  }

  /// Starts the world, Postfix serving `a`, and a configuration with probes on both addresses.
  void start(bool hook_reloads) {
    world_.emplace();
    a_ = world_->pki().issue("a");
    b_ = world_->pki().issue("b");
    PostfixFixtureOptions options;
    options.addresses = {"127.0.0.1", "::1"};
    options.chains = {chainFiles(a_)};
    postfix_.emplace(options);
    writeHook(hook_reloads);
    bundle_ = world_->directory() / "current.pem";
    install(a_);
    writeConfig();
  }

  void install(const E2eCertificate& certificate) {
    writeWhole(bundle_, readWhole(certificate.bundle));
  }

  void writeHook(bool reloads) {
    hook_ = world_->directory() / "probe-hook" / "deploy-postfix";
    fs::create_directories(hook_.parent_path());
    const PostfixChainFiles& served = postfix_->servedChainFiles().at(0);
    std::string reload;
    for (const std::string& word : postfix_->reloadCommand())
      reload += (word == "postfix" ? std::string("/usr/sbin/postfix") : "'" + word + "'") + " ";
    writeWhole(hook_,
               "#!/bin/sh\nset -e\n"
               "/bin/cp \"$DANEGUARD_KEY_FILE\" '" +
                   served.key.string() +
                   "'\n"
                   "/bin/cp \"$DANEGUARD_FULLCHAIN_FILE\" '" +
                   served.certificates.string() + "'\n" + "/bin/echo called >> '" +
                   (hook_.parent_path() / "calls").string() + "'\n" +
                   (reloads ? reload + "\n" : std::string("# forgot to reload\n")));
    fs::permissions(hook_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
  }

  [[nodiscard]] std::size_t hookCalls() const {
    const std::string calls = readWhole(hook_.parent_path() / "calls");
    return static_cast<std::size_t>(std::count(calls.begin(), calls.end(), '\n'));
  }

  void writeConfig() {
    const auto& sandbox = world_->sandbox();
    const std::string port = std::to_string(postfix_->port());
    writeWhole(world_->configPath(),
               "state_dir = \"" + world_->stateDir().string() +
                   "\"\n[rollover]\npoll_interval = \"1s\"\nmargin = \"1s\"\n"
                   "propagation_timeout = \"30s\"\n"
                   "[publishers.primary]\ntype = \"rfc2136\"\nserver = \"" +
                   sandbox.updateServer().host + "\"\ntsig_key_file = \"" +
                   sandbox.updateKey().path.string() +
                   "\"\n[[services]]\nname = \"mail\"\nhosts = [\"mail.example.test\"]\n"
                   "ports = [25]\nttl = 2\npublisher = \"primary\"\n"
                   "[services.certificate]\ntype = \"pem\"\npath = \"" +
                   bundle_.string() + "\"\n[services.deploy]\ntype = \"hook\"\ncommand = [\"" +
                   hook_.string() + "\"]\ntimeout = \"20s\"\n" +
                   "[services.probe]\nendpoints = [\"127.0.0.1:" + port + "\", \"[::1]:" + port +
                   "\"]\nstarttls = \"smtp\"\ntimeout = \"5s\"\n");
  }

  CommandResult daneguard(const std::vector<std::string>& arguments = {}) {
    return world_->daneguard("run", arguments, 1);
  }

  /// A is served already: the first run records it without the hook, publishes its record and
  /// confirms it on both addresses.
  void enableA() {
    const CommandResult first = daneguard({"--wait"});
    ASSERT_EQ(first.exit_code, 0) << both(first);
    EXPECT_TRUE(contains(first.out + first.err, "every endpoint already serves it (hook not run)"))
        << both(first);
    EXPECT_TRUE(contains(first.out + first.err, "verified " + a_.shortId() + " on 2 endpoint"))
        << both(first);
    EXPECT_EQ(hookCalls(), 0u);
    ASSERT_TRUE(world_->everyServerServes({a_.tlsa()}));
  }

  std::optional<E2eWorld> world_;
  std::optional<PostfixFixture> postfix_;
  E2eCertificate a_;
  E2eCertificate b_;
  fs::path bundle_;
  fs::path hook_;
};

TEST_F(RunProbePostfix, ReloadingHookIsConfirmedOnEveryAddressBeforeTheOldRecordIsRetired) {
  start(true);
  enableA();
  install(b_);
  const CommandResult run = daneguard({"--wait"});
  ASSERT_EQ(run.exit_code, 0) << both(run) << postfix_->maillog();
  const std::string text = run.out + run.err;
  EXPECT_EQ(hookCalls(), 1u);
  const auto verified = text.find("verified " + b_.shortId() + " on 2 endpoint check(s)");
  const auto retired = text.find("retired 3 1 1 " + a_.shortData());
  ASSERT_NE(verified, std::string::npos) << both(run);
  ASSERT_NE(retired, std::string::npos) << both(run);
  EXPECT_LT(verified, retired) << "the old record went before the new chain was confirmed";
  EXPECT_TRUE(contains(text, "127.0.0.1[127.0.0.1]:" + std::to_string(postfix_->port())))
      << both(run);
  EXPECT_TRUE(contains(text, "::1[::1]:" + std::to_string(postfix_->port()))) << both(run);
  EXPECT_TRUE(world_->everyServerServes({b_.tlsa()}));
  // Independent look at what Postfix serves on both addresses.
  EXPECT_EQ(servedFingerprint("127.0.0.1", postfix_->port()), b_.fingerprint);
  EXPECT_EQ(servedFingerprint("::1", postfix_->port()), b_.fingerprint);
}

TEST_F(RunProbePostfix, HookThatForgetsToReloadFailsAndNothingIsRemoved) {
  start(false);
  enableA();
  install(b_);
  const CommandResult run = daneguard({"--wait"});
  EXPECT_EQ(run.exit_code, 1) << both(run);
  const std::string port = std::to_string(postfix_->port());
  EXPECT_TRUE(contains(run.out + run.err, "verification of " + b_.shortId() + " failed on 2 of 2"))
      << both(run);
  EXPECT_TRUE(
      contains(run.out + run.err, "127.0.0.1[127.0.0.1]:" + port + ": serves " + a_.shortId()))
      << both(run);
  EXPECT_TRUE(contains(run.out + run.err, "::1[::1]:" + port + ": serves " + a_.shortId()))
      << both(run);
  EXPECT_FALSE(contains(run.out + run.err, "retired ")) << both(run);
  EXPECT_EQ(hookCalls(), 1u);
  const Records both_records{a_.tlsa(), b_.tlsa()};
  EXPECT_TRUE(world_->everyServerServes(both_records)) << "the old record must stay (dig)";
  EXPECT_EQ(servedFingerprint("127.0.0.1", postfix_->port()), a_.fingerprint);

  // The next run probes again before retiring anything, and fails again; no second deploy.
  const CommandResult again = daneguard();
  EXPECT_EQ(again.exit_code, 1) << both(again);
  EXPECT_TRUE(contains(again.out + again.err, "verification of " + b_.shortId() + " failed"))
      << both(again);
  EXPECT_EQ(hookCalls(), 1u);
  EXPECT_TRUE(world_->everyServerServes(both_records));

  // The operator reloads: the next run confirms the new chain and only then retires A.
  postfix_->reload();
  const CommandResult fixed = daneguard({"--wait"});
  ASSERT_EQ(fixed.exit_code, 0) << both(fixed);
  EXPECT_TRUE(contains(fixed.out + fixed.err, "verified " + b_.shortId())) << both(fixed);
  EXPECT_TRUE(world_->everyServerServes({b_.tlsa()}));
}

}  // namespace
}  // namespace daneguard::testing
