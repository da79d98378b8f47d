// End-to-end rollovers: the real daneguard binary, a real TOML configuration, a real SQLite
// state directory and a real deploy hook script, against BIND 9 in production-like mode (a
// private network namespace, primary 127.0.0.2 and secondary 127.0.0.3 on port 53, the zone's NS
// records pointing at them). Every check of what DNS serves is `dig +norec` against each server;
// every check of what the hook got is the openssl CLI inside the hook. TTLs are 2-3 s, margin
// and poll interval 1 s, so a rollover takes seconds.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "integration/support/e2e_process.hpp"
#include "integration/support/e2e_world.hpp"
#include "integration/support/secret_scan.hpp"

namespace daneguard::testing {
namespace {

using namespace std::chrono_literals;
using Records = std::multiset<std::string>;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string both(const CommandResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\n--- stdout\n" + result.out +
         "--- stderr\n" + result.err;
}

std::string readWhole(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The base64 secret of a BIND key file (`secret "...";`).
std::string secretOf(const std::filesystem::path& key_file) {
  const std::string text = readWhole(key_file);
  const auto start = text.find("secret \"") + 8;
  return text.substr(start, text.find('"', start) - start);
}

/// A BIND key file for `name` with a fresh random secret, mode 0600.
std::filesystem::path writeKeyFile(const std::filesystem::path& path, const std::string& name,
                                   std::string* secret) {
  const CommandResult random = runCommand({"openssl", "rand", "-base64", "32"});
  *secret = random.out.substr(0, random.out.find('\n'));
  {
    std::ofstream out(path);
    out << "key \"" << name << "\" {\n\talgorithm hmac-sha256;\n\tsecret \"" << *secret
        << "\";\n};\n";
  }
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return path;
}

class RolloverE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = E2eWorld::unavailableReason()) GTEST_SKIP() << *reason;
    started_ = std::chrono::steady_clock::now();
  }
  void TearDown() override {
    if (IsSkipped()) return;
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    std::printf("[ e2e time ] %s: %.1f s\n",
                ::testing::UnitTest::GetInstance()->current_test_info()->name(), took);
  }

  /// Fails the test unless `condition` holds within `timeout`.
  static void eventually(const std::function<bool()>& condition, const std::string& what,
                         std::chrono::milliseconds timeout = 10s) {
    EXPECT_TRUE(pollUntil(condition, timeout)) << what;
  }

  std::chrono::steady_clock::time_point started_;
};

TEST_F(RolloverE2e, FirstEnablementWaitsOutTheNegativeTtl) {
  E2eWorld world;
  const E2eCertificate a = world.pki().issue("a");
  world.installCertificate(a);
  for (std::size_t i = 0; i < 2; ++i)
    ASSERT_EQ(world.servedTlsa(i), Records{}) << "server " << i << " must start without TLSA";
  const auto serial_before = world.serialAt(0);
  ASSERT_TRUE(serial_before);

  const CommandResult run = world.daneguard("run");
  ASSERT_EQ(run.exit_code, 0) << both(run);
  const std::string run_text = run.out + run.err;
  EXPECT_TRUE(contains(run_text, "published 3 1 1 " + a.shortData() + "... at " + world.owner() +
                                     " via 127.0.0.2:53"))
      << both(run);
  EXPECT_TRUE(contains(run_text, "next step due")) << both(run);
  EXPECT_TRUE(world.hookCalls().empty()) << "deployed before the negative TTL ran out";
  eventually([&] { return world.everyServerServes({a.tlsa()}); },
             "every server must serve the published record");
  std::uint32_t ttl = 0;
  ASSERT_TRUE(world.servedTlsa(0, &ttl));
  EXPECT_EQ(ttl, 2u);
  EXPECT_GT(world.serialAt(0).value_or(0), *serial_before);

  // The wait is the negative TTL, min(SOA MINIMUM 60, SOA TTL 3) = 3 s, x 2 + 1 s margin.
  const CommandResult plan = world.daneguard("plan");
  EXPECT_EQ(plan.exit_code, 0) << both(plan);
  EXPECT_TRUE(contains(plan.out, "AwaitingCacheExpiry")) << both(plan);
  EXPECT_TRUE(contains(plan.out, "negative TTL (no TLSA RRset before) 3 s x 2 + 1 s margin"))
      << both(plan);
  const CommandResult status = world.daneguard("status");
  EXPECT_EQ(status.exit_code, 0) << both(status);
  EXPECT_TRUE(contains(
      status.out, "mail: deployed -, candidate " + a.shortId() + ", phase AwaitingCacheExpiry"))
      << both(status);
  EXPECT_TRUE(contains(status.out, "ns1.example.test. (127.0.0.2:53)=1")) << both(status);
  EXPECT_TRUE(contains(status.out, "ns2.example.test. (127.0.0.3:53)=1")) << both(status);

  const CommandResult wait = world.daneguard("run", {"--wait"});
  ASSERT_EQ(wait.exit_code, 0) << both(wait);
  EXPECT_TRUE(contains(wait.out + wait.err, "deployed " + a.shortId() + " for service mail"))
      << both(wait);
  const auto calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].cert_fingerprint, a.fingerprint);
  EXPECT_EQ(calls[0].danebot_fingerprint, a.fingerprint);
  EXPECT_TRUE(calls[0].key_matches_cert);
  EXPECT_TRUE(world.everyServerServes({a.tlsa()}));
  const CommandResult idle = world.daneguard("status");
  EXPECT_TRUE(contains(
      idle.out, "mail: deployed " + a.shortId() + ", candidate " + a.shortId() + ", phase Idle"))
      << both(idle);
}

// The deploy must never come before cache_factor x TTL + margin after the last server switched.
// Instants are whole seconds, so the planner dates full visibility at the end of the observed
// second (core/rollover/rollover_planner.cpp, emitFact); these tests hold it to that bound.
constexpr double kRenewalBound = 2 * 2 + 1;  // cache factor x record TTL + margin

struct RenewalTiming {
  CommandResult result;
  double hook_after_visible = 0;  // seconds from full visibility (seen by dig) to the hook
};

/// A enabled, B installed: runs `run --wait` while watching with dig for the first moment both
/// servers serve A and B, and returns how long after that moment the hook ran.
RenewalTiming renewWhileWatching(E2eWorld& world, const E2eCertificate& a,
                                 const E2eCertificate& b) {
  RenewalTiming timing;
  BackgroundProcess run(world.daneguardArgv("run", {"--wait"}));
  double visible = 0;
  const bool both_served = pollUntil(
      [&] {
        const double checked = wallClockNow();  // the round's start: the switch came before it
        if (!world.everyServerServes({a.tlsa(), b.tlsa()})) return false;
        visible = checked;
        return true;
      },
      15s, 20ms);
  EXPECT_TRUE(both_served) << "the new record was never published next to the old one\n"
                           << run.outputSoFar();
  EXPECT_EQ(world.hookCalls().size(), 1u) << "deployed before both servers served the record";
  const auto result = run.waitFor(30s);
  EXPECT_TRUE(result) << "run --wait did not finish\n" << run.outputSoFar();
  if (!result || !both_served) return timing;
  timing.result = *result;
  const auto calls = world.hookCalls();
  if (calls.size() == 2) timing.hook_after_visible = calls[1].time - visible;
  std::printf("[ e2e time ] hook ran %.2f s after full visibility (bound %.0f s)\n",
              timing.hook_after_visible, kRenewalBound);
  return timing;
}

TEST_F(RolloverE2e, RenewalWithANewKeyPublishesNextToTheOldWaitsThenRetires) {
  E2eWorld world;
  const E2eCertificate a = world.pki().issue("a");
  const E2eCertificate b = world.pki().issue("b");
  world.enableFirst(a);
  world.installCertificate(b);

  const RenewalTiming timing = renewWhileWatching(world, a, b);
  ASSERT_EQ(timing.result.exit_code, 0) << both(timing.result);
  const auto calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].cert_fingerprint, b.fingerprint);
  EXPECT_TRUE(calls[1].key_matches_cert);
  EXPECT_GE(timing.hook_after_visible, kRenewalBound);
  EXPECT_LT(timing.hook_after_visible, kRenewalBound + 3) << "far more than one poll interval late";

  const std::string text = timing.result.out + timing.result.err;
  const auto deployed_at = text.find("deployed " + b.shortId());
  const auto retired_at = text.find("retired 3 1 1 " + a.shortData());
  EXPECT_NE(deployed_at, std::string::npos) << both(timing.result);
  EXPECT_NE(retired_at, std::string::npos) << both(timing.result);
  EXPECT_LT(deployed_at, retired_at) << "the old record must be retired after the deploy";
  eventually([&] { return world.everyServerServes({b.tlsa()}); },
             "only the new record must remain on every server");
}

TEST_F(RolloverE2e, DeployWaitsTheWholeWindowAfterTheLastServerSwitched) {
  E2eWorld world;
  const E2eCertificate a = world.pki().issue("a");
  const E2eCertificate b = world.pki().issue("b");
  world.enableFirst(a);
  world.installCertificate(b);
  const RenewalTiming timing = renewWhileWatching(world, a, b);
  ASSERT_EQ(timing.result.exit_code, 0) << both(timing.result);
  EXPECT_GE(timing.hook_after_visible, kRenewalBound);
}

TEST_F(RolloverE2e, RenewalWithTheSameKeyDeploysAtOnceWithoutAnUpdate) {
  E2eWorld world;
  const E2eCertificate a = world.pki().issue("a");
  const E2eCertificate renewed = world.pki().issue("a-renewed", &a);
  ASSERT_EQ(renewed.spki_sha256, a.spki_sha256);
  ASSERT_NE(renewed.fingerprint, a.fingerprint);
  world.enableFirst(a);
  const auto serials_before = std::vector{world.serialAt(0), world.serialAt(1)};
  ASSERT_TRUE(serials_before[0] && serials_before[1]);

  world.installCertificate(renewed);
  const double started = wallClockNow();
  const CommandResult run = world.daneguard("run");  // no --wait: nothing may be left to wait for
  const double took = wallClockNow() - started;
  ASSERT_EQ(run.exit_code, 0) << both(run);
  const std::string text = run.out + run.err;
  EXPECT_TRUE(contains(text, "deployed " + renewed.shortId() + " for service mail")) << both(run);
  EXPECT_FALSE(contains(text, "published")) << both(run);
  EXPECT_FALSE(contains(text, "retired")) << both(run);
  EXPECT_TRUE(contains(text, "all services idle")) << both(run);
  EXPECT_LT(took, 2.0) << "a key reuse must not wait";
  const auto calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].cert_fingerprint, renewed.fingerprint);
  EXPECT_EQ(world.serialAt(0), serials_before[0]) << "no UPDATE may reach the primary";
  EXPECT_EQ(world.serialAt(1), serials_before[1]);
  EXPECT_TRUE(world.everyServerServes({a.tlsa()}));
}

TEST_F(RolloverE2e, LaggingSecondaryHoldsTheHookBackUntilItCatchesUp) {
  E2eWorld world;
  const E2eCertificate a = world.pki().issue("a");
  const E2eCertificate b = world.pki().issue("b");
  world.enableFirst(a);
  auto cut = world.sandbox().startServer(1, adapters::sandbox::StartMode::CutOff);
  ASSERT_TRUE(cut) << cut.error().message;
  world.installCertificate(b);

  BackgroundProcess run(world.daneguardArgv("run", {"--wait"}));
  ASSERT_TRUE(pollUntil(
      [&] {
        return world.servedTlsa(0) == Records{a.tlsa(), b.tlsa()};
      },
      15s))
      << "the primary never got the new record\n"
      << run.outputSoFar();
  // Watch for longer than the window the primary alone would need (2 x 2 s + 1 s): the secondary
  // keeps lacking the record, so the hook must not run.
  const auto watch_until = std::chrono::steady_clock::now() + 6500ms;
  while (std::chrono::steady_clock::now() < watch_until) {
    ASSERT_EQ(world.servedTlsa(1), Records{a.tlsa()}) << "the secondary must still lag";
    ASSERT_EQ(world.hookCalls().size(), 1u) << "deployed while the secondary lacked the record";
    std::this_thread::sleep_for(200ms);
  }
  const CommandResult plan = world.daneguard("plan");
  EXPECT_TRUE(contains(plan.out, "AwaitingVisibility")) << both(plan);
  EXPECT_TRUE(contains(plan.out, "waiting for ns2.example.test. (127.0.0.3:53) to serve"))
      << both(plan);

  auto caught_up = world.sandbox().startServer(1, adapters::sandbox::StartMode::CatchUp);
  ASSERT_TRUE(caught_up) << caught_up.error().message;
  const double visible = wallClockNow();  // the secondary serves the record by now
  const auto result = run.waitFor(30s);
  ASSERT_TRUE(result) << "run --wait did not finish\n" << run.outputSoFar();
  ASSERT_EQ(result->exit_code, 0) << both(*result);
  const auto calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].cert_fingerprint, b.fingerprint);
  std::printf("[ e2e time ] hook ran %.2f s after the secondary caught up\n",
              calls[1].time - visible);
  EXPECT_GE(calls[1].time - visible, kRenewalBound)
      << "the cache window must start when the LAST server serves the record";
  eventually([&] { return world.everyServerServes({b.tlsa()}); },
             "the rollover must complete once the secondary caught up");
}

TEST_F(RolloverE2e, StoppedSecondaryPastThePropagationTimeoutRemovesNothing) {
  E2eOptions options;
  options.propagation_timeout = "3s";
  E2eWorld world(options);
  const E2eCertificate a = world.pki().issue("a");
  const E2eCertificate b = world.pki().issue("b");
  world.enableFirst(a);
  ASSERT_TRUE(world.sandbox().stopServer(1));
  world.installCertificate(b);

  BackgroundProcess run(world.daneguardArgv("run", {"--wait"}));
  const auto result = run.waitFor(25s);
  ASSERT_TRUE(result) << "run --wait kept waiting for a stopped server\n" << run.outputSoFar();
  EXPECT_NE(result->exit_code, 0) << both(*result);
  EXPECT_EQ(result->exit_code, 75) << both(*result);
  EXPECT_TRUE(contains(result->err, "127.0.0.3")) << both(*result);
  EXPECT_TRUE(contains(result->err, "propagation timeout")) << both(*result);
  EXPECT_FALSE(contains(result->out + result->err, "retired")) << both(*result);
  EXPECT_EQ(world.servedTlsa(0), Records{a.tlsa()}) << "nothing may be removed";
  const auto calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].cert_fingerprint, a.fingerprint) << "the old certificate stays deployed";
  const CommandResult status = world.daneguard("status");
  EXPECT_TRUE(contains(status.out, "mail: deployed " + a.shortId())) << both(status);
}

// A server that stops answering after the new records were published must not make daneguard
// wait forever: its silence counts toward the propagation timeout, and the run then fails
// naming it.
TEST_F(RolloverE2e, SecondaryStoppedAfterPublicationIsReportedAfterThePropagationTimeout) {
  E2eOptions options;
  options.propagation_timeout = "3s";
  E2eWorld world(options);
  const E2eCertificate a = world.pki().issue("a");
  const E2eCertificate b = world.pki().issue("b");
  world.enableFirst(a);
  world.installCertificate(b);
  BackgroundProcess run(world.daneguardArgv("run", {"--wait"}));
  // Stopped once daneguard itself has recorded that every server serves the new record.
  ASSERT_TRUE(pollUntil([&] { return world.recordedVisibleSince(b.spki_sha256).has_value(); }, 15s))
      << run.outputSoFar();
  ASSERT_TRUE(world.sandbox().stopServer(1));
  const auto result = run.waitFor(20s);
  ASSERT_TRUE(result) << "run --wait kept waiting for a stopped server\n" << run.outputSoFar();
  EXPECT_EQ(result->exit_code, 75) << both(*result);
  EXPECT_TRUE(contains(result->err, "127.0.0.3")) << both(*result);
  EXPECT_EQ(world.servedTlsa(0), (Records{a.tlsa(), b.tlsa()})) << "nothing may be removed";
  EXPECT_EQ(world.hookCalls().size(), 1u);
}

TEST_F(RolloverE2e, LaggingSecondaryPastThePropagationTimeoutIsBlockedAndNamed) {
  E2eOptions options;
  options.propagation_timeout = "3s";
  E2eWorld world(options);
  const E2eCertificate a = world.pki().issue("a");
  const E2eCertificate b = world.pki().issue("b");
  world.enableFirst(a);
  auto cut = world.sandbox().startServer(1, adapters::sandbox::StartMode::CutOff);
  ASSERT_TRUE(cut) << cut.error().message;
  world.installCertificate(b);

  BackgroundProcess run(world.daneguardArgv("run", {"--wait"}));
  const auto result = run.waitFor(25s);
  ASSERT_TRUE(result) << "run --wait kept waiting past the propagation timeout\n"
                      << run.outputSoFar();
  EXPECT_EQ(result->exit_code, 75) << both(*result);
  EXPECT_TRUE(contains(result->err, "ns2.example.test. (127.0.0.3:53)")) << both(*result);
  EXPECT_TRUE(contains(result->err, "propagation timeout")) << both(*result);
  EXPECT_EQ(world.servedTlsa(0), (Records{a.tlsa(), b.tlsa()})) << "nothing may be removed";
  EXPECT_EQ(world.servedTlsa(1), Records{a.tlsa()});
  ASSERT_EQ(world.hookCalls().size(), 1u) << "the old certificate must stay deployed";
}

TEST_F(RolloverE2e, TsigProblemsAreNamedAndChangeNothing) {
  E2eOptions options;
  options.unprivileged_key_names = {"readonly-key"};
  E2eWorld world(options);
  const E2eCertificate a = world.pki().issue("a");
  world.installCertificate(a);
  const auto serial = world.serialAt(0);
  ASSERT_TRUE(serial);
  MessageLog messages;
  std::vector<std::string> secrets{secretOf(world.sandbox().updateKey().path),
                                   secretOf(world.sandbox().unprivilegedKeys().at(0).path)};

  struct Case {
    std::filesystem::path key_file;
    int exit_code;
    std::vector<std::string> named;
  };
  std::string wrong_secret, unknown_secret;
  const std::vector<Case> cases{
      {writeKeyFile(world.directory() / "wrong-secret.key", world.sandbox().updateKey().name,
                    &wrong_secret),
       77,
       {"BADSIG", world.sandbox().updateKey().name, "127.0.0.2"}},
      {writeKeyFile(world.directory() / "unknown.key", "no-such-key", &unknown_secret),
       77,
       {"BADKEY", "no-such-key", "127.0.0.2"}},
      {world.sandbox().unprivilegedKeys().at(0).path, 69, {"REFUSED", "127.0.0.2"}},
  };
  secrets.push_back(wrong_secret);
  secrets.push_back(unknown_secret);
  for (const Case& test : cases) {
    world.writeConfig(test.key_file);
    const CommandResult run = world.daneguard("run", {"--wait"});
    messages.note(run.out + run.err);
    EXPECT_EQ(run.exit_code, test.exit_code) << test.key_file << "\n" << both(run);
    for (const std::string& part : test.named)
      EXPECT_TRUE(contains(run.err, part)) << "missing '" << part << "'\n" << both(run);
    EXPECT_EQ(world.serialAt(0), serial) << "the zone must be unchanged";
    for (std::size_t i = 0; i < 2; ++i)
      EXPECT_EQ(world.servedTlsa(i), Records{}) << "server " << i;
    EXPECT_TRUE(world.hookCalls().empty());
  }
  for (const std::string& secret : secrets)
    EXPECT_EQ(messages.findLeak(secret), "") << "a TSIG secret leaked";
}

TEST_F(RolloverE2e, FailingHookKeepsTheOldRecordsAndTheNextRunRetries) {
  E2eWorld world;
  const E2eCertificate a = world.pki().issue("a");
  const E2eCertificate b = world.pki().issue("b");
  world.enableFirst(a);
  world.installCertificate(b);
  world.setHookExitStatus(3);

  const CommandResult failed = world.daneguard("run", {"--wait"}, 1);
  EXPECT_EQ(failed.exit_code, 69) << both(failed);
  EXPECT_TRUE(contains(failed.err, world.hookPath().string())) << both(failed);
  EXPECT_TRUE(contains(failed.err, "exited with status 3")) << both(failed);
  EXPECT_FALSE(contains(failed.out + failed.err, "retired")) << both(failed);
  EXPECT_TRUE(world.everyServerServes({a.tlsa(), b.tlsa()})) << "the old record must stay";
  auto calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].cert_fingerprint, b.fingerprint);
  EXPECT_EQ(calls[1].exit_status, 3);
  const CommandResult status = world.daneguard("status", {}, 1);
  EXPECT_TRUE(contains(status.out, "mail: deployed " + a.shortId())) << both(status);

  world.setHookExitStatus(0);
  const CommandResult retried = world.daneguard("run", {}, 1);  // due at once: no --wait needed
  ASSERT_EQ(retried.exit_code, 0) << both(retried);
  EXPECT_TRUE(contains(retried.out + retried.err, "deployed " + b.shortId())) << both(retried);
  calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[2].cert_fingerprint, b.fingerprint);
  EXPECT_EQ(calls[2].exit_status, 0);
  eventually([&] { return world.everyServerServes({b.tlsa()}); },
             "the old record must be retired after the successful retry");
}

TEST_F(RolloverE2e, KillDuringTheCacheWaitThenRerunResumesTheWait) {
  E2eWorld world;
  const E2eCertificate a = world.pki().issue("a");
  const E2eCertificate b = world.pki().issue("b");
  world.enableFirst(a);
  world.installCertificate(b);

  std::optional<long long> visible_since;
  {
    BackgroundProcess run(world.daneguardArgv("run", {"--wait"}));
    ASSERT_TRUE(pollUntil(
        [&] {
          visible_since = world.recordedVisibleSince(b.spki_sha256);
          return visible_since.has_value();
        },
        15s))
        << "visible_since was never recorded\n"
        << run.outputSoFar();
    // Two seconds into the five-second window (2 x 2 s + 1 s), then a crash.
    std::this_thread::sleep_until(
        std::chrono::system_clock::time_point(std::chrono::seconds(*visible_since + 2)));
    ASSERT_EQ(world.hookCalls().size(), 1u) << "deployed inside the cache window";
    const CommandResult killed = run.killHard();
    EXPECT_EQ(killed.exit_code, 128 + SIGKILL);
  }
  EXPECT_EQ(world.recordedVisibleSince(b.spki_sha256), visible_since);

  const double restarted = wallClockNow();
  const CommandResult rerun = world.daneguard("run", {"--wait"});
  ASSERT_EQ(rerun.exit_code, 0) << both(rerun);
  const auto calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].cert_fingerprint, b.fingerprint);
  EXPECT_GE(calls[1].time, static_cast<double>(*visible_since) + 2 * 2 + 1)
      << "the window counted from the recorded visible_since must still be respected";
  EXPECT_LT(calls[1].time - restarted, 2 * 2 + 1 - 1)
      << "the wait restarted from zero instead of using the recorded visible_since";
  eventually([&] { return world.everyServerServes({b.tlsa()}); },
             "exactly the new record must remain, once");
}

TEST_F(RolloverE2e, SecondRunAtOnceExitsNamingTheLockHolder) {
  E2eWorld world;
  const E2eCertificate a = world.pki().issue("a");
  world.installCertificate(a);

  BackgroundProcess first(world.daneguardArgv("run", {"--wait"}));
  // Once it has published it sits in the cache window (2 x 3 s + 1 s), holding the lock.
  ASSERT_TRUE(pollUntil([&] { return world.servedTlsa(0) == Records{a.tlsa()}; }, 15s))
      << first.outputSoFar();
  ASSERT_FALSE(first.waitFor(0ms)) << "the first run ended too early";

  const CommandResult second = world.daneguard("run");
  EXPECT_EQ(second.exit_code, 75) << both(second);
  EXPECT_TRUE(contains(
      second.err, "another daneguard run (pid " + std::to_string(first.pid()) + ") holds the lock"))
      << both(second);
  EXPECT_TRUE(contains(second.err, (world.stateDir() / "daneguard.lock").string())) << both(second);

  const auto result = first.waitFor(30s);
  ASSERT_TRUE(result) << first.outputSoFar();
  EXPECT_EQ(result->exit_code, 0) << both(*result);
  EXPECT_EQ(world.hookCalls().size(), 1u) << "exactly one run may deploy";
}

TEST_F(RolloverE2e, ForeignRecordsAtTheSameNameSurviveAFullRollover) {
  E2eWorld world;
  const std::string foreign =
      "3 1 1 8f1c3b6a9d2e4f5061728394a5b6c7d8e9fa0b1c2d3e4f5061728394a5b6c7d8";
  const CommandResult added =
      world.nsupdate("update add " + world.owner() + " 2 IN TLSA " + foreign);
  ASSERT_EQ(added.exit_code, 0) << both(added);
  ASSERT_TRUE(pollUntil([&] { return world.everyServerServes({foreign}); }, 10s));

  const E2eCertificate a = world.pki().issue("a");
  const E2eCertificate b = world.pki().issue("b");
  world.installCertificate(a);
  const CommandResult first = world.daneguard("run", {"--wait"}, 1);
  ASSERT_EQ(first.exit_code, 0) << both(first);
  eventually(
      [&] {
        return world.everyServerServes({foreign, a.tlsa()});
      },
      "the first enablement must add next to the foreign record");

  world.installCertificate(b);
  const CommandResult renewal = world.daneguard("run", {"--wait"}, 1);
  ASSERT_EQ(renewal.exit_code, 0) << both(renewal);
  EXPECT_FALSE(contains(renewal.out + renewal.err, foreign.substr(6, 16))) << both(renewal);
  eventually(
      [&] {
        return world.everyServerServes({foreign, b.tlsa()});
      },
      "after a full rollover the foreign record must still be there, A gone");
  const auto calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].cert_fingerprint, b.fingerprint);
}

TEST_F(RolloverE2e, DanebotCompatibleInvocationCompletesAFirstEnablement) {
  E2eWorld world;
  const E2eCertificate a = world.pki().issue("a");
  const std::string secret = secretOf(world.sandbox().updateKey().path);
  const CommandResult run = runCommand({"env",
                                        "-u",
                                        "DANEGUARD_STATE_DIR",
                                        "-u",
                                        "DANEGUARD_CONFIG",
                                        "-u",
                                        "DANEBOT_RFC2136_TSIG_KEY",
                                        "DANEBOT_RFC2136_TSIG_SECRET=" + secret,
                                        DANEGUARD_BINARY,
                                        "--cert-file",
                                        a.bundle.string(),
                                        "-d",
                                        "mail.example.test",
                                        "--tcp",
                                        "25",
                                        "--hook",
                                        world.hookPath().string(),
                                        "--rfc2136-nameserver",
                                        "127.0.0.2",
                                        "--rfc2136-tsig-key",
                                        world.sandbox().updateKey().name,
                                        "--ttl",
                                        "2",
                                        "--state-dir",
                                        world.stateDir().string(),
                                        "--poll-interval",
                                        "1",
                                        "--margin",
                                        "1",
                                        "--wait"});
  ASSERT_EQ(run.exit_code, 0) << both(run);
  EXPECT_TRUE(contains(run.out + run.err, "deployed " + a.shortId() + " for service danebot"))
      << both(run);
  const auto calls = world.hookCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].cert_fingerprint, a.fingerprint);
  EXPECT_EQ(calls[0].danebot_fingerprint, a.fingerprint);
  EXPECT_TRUE(calls[0].key_matches_cert);
  eventually([&] { return world.everyServerServes({a.tlsa()}); },
             "every server must serve the record");
  std::uint32_t ttl = 0;
  ASSERT_TRUE(world.servedTlsa(1, &ttl));
  EXPECT_EQ(ttl, 2u);
  MessageLog messages;
  messages.note(run.out + run.err);
  EXPECT_EQ(messages.findLeak(secret), "");
}

}  // namespace
}  // namespace daneguard::testing
