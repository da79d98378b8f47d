// The certbot deploy hook's two halves: which services a renewed lineage concerns
// (servicesForLineage), and the runner's publish-only round (RunOptions::publish_only) against
// the same scripted DNS world as rollover_runner_test.cpp: publish at once, wait only for the
// servers to serve the new records, never for a cache window; deploy at once when the key was
// reused.
#include "app/certbot_hook.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "adapters/openssl/certificate_factory.hpp"
#include "adapters/openssl/pem_bundle.hpp"
#include "app/rollover_runner.hpp"
#include "core/tlsa/tlsa_compute.hpp"
#include "unit/app/in_memory_state_store.hpp"
#include "unit/app/scripted_rollover_world.hpp"

namespace daneguard::testing {
namespace {

/// certbot-hook's round: publish, then wait at most `budget` for visibility (never a cache
/// window), optionally with another clock.
app::RunReport hook(Harness& h, seconds budget = 30s, ports::Clock* other_clock = nullptr) {
  app::RunOptions options;
  options.publish_only = true;
  options.visibility_budget = budget;
  app::RunnerPorts with_clock{h.dns,   h.dns,      h.certificates,
                              h.store, h.deployer, other_clock != nullptr ? *other_clock : h.clock,
                              h.events};
  auto report = app::runRollover(h.config, with_clock, options);
  EXPECT_TRUE(report.has_value()) << (report ? "" : report.error().message);
  return report ? *report : app::RunReport{};
}

/// Lets the secondary copy the primary as soon as the runner sleeps (a transfer after NOTIFY).
struct CatchUpClock final : ports::Clock {
  FakeClock& inner;
  ScriptedDns& dns;
  CatchUpClock(FakeClock& c, ScriptedDns& d) : inner(c), dns(d) {}
  sys_seconds now() override { return inner.now(); }
  void sleepFor(seconds d) override { inner.sleepFor(d), dns.secondary = dns.primary; }
  void sleepUntil(sys_seconds t) override { inner.sleepUntil(t), dns.secondary = dns.primary; }
  void sleepUntilJustBefore(sys_seconds t) override { sleepUntil(t); }
};

TEST(CertbotHookRound, NewKeyIsPublishedAndItsVisibilityDatedButNothingDeployed) {
  Harness h;
  TestCa ca;
  const std::string old_bundle = ca.bundle(newKey(), {"mail.example.test"});
  const TlsaRecord old_record = record311(old_bundle);
  h.dns.primary[kOwner] = {{old_record}, 3600};
  h.dns.secondary = h.dns.primary;
  ASSERT_TRUE(h.store.recordDeployed("mail", CertificateRecords{"old-id", {old_record}}, kStart));
  ASSERT_TRUE(h.store.addOwnedRecords("mail", kOwner, {old_record}));
  const std::string new_bundle = ca.bundle(newKey(), {"mail.example.test"});
  const TlsaRecord new_record = record311(new_bundle);
  h.certificates.pem = new_bundle;
  h.dns.secondary_follows = false;

  CatchUpClock clock(h.clock, h.dns);
  const auto report = hook(h, 30s, &clock);
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.dns.updates.size(), 1u);
  ASSERT_EQ(h.dns.updates[0].additions.size(), 1u);
  EXPECT_EQ(h.dns.updates[0].additions[0].record, new_record);
  EXPECT_TRUE(h.dns.updates[0].deletions.empty());
  EXPECT_TRUE(h.deployer.deployed.empty()) << "deployed before the cache window";
  // It polled once (10 s) until the secondary served the record, then stopped.
  EXPECT_EQ(h.clock.time, kStart + 10s);
  const auto stored = h.store.loadService("mail");
  ASSERT_TRUE(stored);
  const RecordHistory* history = findHistory(stored->history.at(kOwner), new_record);
  ASSERT_NE(history, nullptr);
  ASSERT_TRUE(history->visible_since) << "the cache window must start at the renewal";
  EXPECT_LE(*history->visible_since, kStart + 11s);
  ASSERT_EQ(report.services.size(), 1u);
  EXPECT_EQ(report.services[0].phase, Phase::AwaitingCacheExpiry);
  // The old record stays: retiring it is for the scheduled run after the deploy.
  EXPECT_EQ(h.dns.primary[kOwner].records, (std::vector<TlsaRecord>{old_record, new_record}));
}

TEST(CertbotHookRound, LaggingServerIsWaitedForOnlyWithinTheBudget) {
  Harness h;
  TestCa ca;
  h.certificates.pem = ca.bundle(newKey(), {"mail.example.test"});
  h.dns.secondary_follows = false;  // never catches up
  const auto report = hook(h, 25s);
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_EQ(h.dns.updates.size(), 1u);
  EXPECT_TRUE(h.deployer.deployed.empty());
  EXPECT_LE(h.clock.time, kStart + 25s);
  EXPECT_GE(h.clock.time, kStart + 20s) << "it should have polled within the budget";
  ASSERT_EQ(report.services.size(), 1u);
  EXPECT_EQ(report.services[0].phase, Phase::AwaitingVisibility);
}

TEST(CertbotHookRound, ZeroBudgetReturnsRightAfterPublishing) {
  Harness h;
  TestCa ca;
  h.certificates.pem = ca.bundle(newKey(), {"mail.example.test"});
  h.dns.secondary_follows = false;
  const auto report = hook(h, 0s);
  ASSERT_FALSE(report.failure);
  EXPECT_EQ(h.dns.updates.size(), 1u);
  EXPECT_EQ(h.clock.time, kStart);
  EXPECT_EQ(h.clock.sleeps, 0);
}

TEST(CertbotHookRound, RenewalWithTheSameKeyIsDeployedAtOnceWithoutAnUpdate) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  const TlsaRecord record = record311(ca.bundle(key, {"mail.example.test"}));
  h.dns.primary[kOwner] = {{record}, 3600};
  h.dns.secondary = h.dns.primary;
  ASSERT_TRUE(h.store.recordDeployed("mail", CertificateRecords{"old-id", {record}}, kStart));
  ASSERT_TRUE(h.store.addOwnedRecords("mail", kOwner, {record}));
  h.certificates.pem = ca.bundle(key, {"mail.example.test"});

  const auto report = hook(h);
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_TRUE(h.dns.updates.empty());
  ASSERT_EQ(h.deployer.deployed.size(), 1u);
  EXPECT_NE(h.deployer.deployed[0], "old-id");
  EXPECT_EQ(h.clock.time, kStart);
}

// ---- servicesForLineage -------------------------------------------------------------------

config::Service serviceWith(const std::string& name, config::CertificateSource source) {
  config::Service service;
  service.name = name;
  service.certificate = std::move(source);
  return service;
}

std::string identity(std::string_view path) {
  return std::string(path);
}

TEST(CertbotLineage, CertbotSourceMatchesItsLiveDirectory) {
  config::Config config;
  config.services.push_back(
      serviceWith("mail", config::CertbotLineageSource{"mail.example.test", "/etc/letsencrypt"}));
  config.services.push_back(
      serviceWith("web", config::CertbotLineageSource{"www.example.test", "/etc/letsencrypt"}));
  config.services.push_back(
      serviceWith("submission", config::CertbotLineageSource{"mail.example.test", "/srv/le/"}));
  EXPECT_EQ(app::servicesForLineage(config, "/etc/letsencrypt/live/mail.example.test", identity),
            std::vector<std::string>{"mail"});
  EXPECT_EQ(app::servicesForLineage(config, "/etc/letsencrypt/live/mail.example.test/", identity),
            std::vector<std::string>{"mail"});
  EXPECT_EQ(app::servicesForLineage(config, "/srv/le/live/mail.example.test", identity),
            std::vector<std::string>{})
      << "a trailing slash in config_dir is not normalised by the identity normaliser";
  EXPECT_TRUE(app::servicesForLineage(config, "/etc/letsencrypt/live/other", identity).empty());
}

TEST(CertbotLineage, NormaliserDecidesEquality) {
  config::Config config;
  config.services.push_back(
      serviceWith("mail", config::CertbotLineageSource{"mail", "/etc/letsencrypt"}));
  const auto lower = [](std::string_view path) {
    std::string out(path);
    if (out.starts_with("/etc/le/")) out = "/etc/letsencrypt/" + out.substr(8);
    return out;
  };
  EXPECT_EQ(app::servicesForLineage(config, "/etc/le/live/mail", lower),
            std::vector<std::string>{"mail"});
}

TEST(CertbotLineage, PemAndFilesSourcesMatchTheirFileOrDirectory) {
  config::Config config;
  config.services.push_back(
      serviceWith("lego", config::PemBundleSource{"/var/lib/lego/certificates/www.pem"}));
  config::SeparateFilesSource files;
  files.key = "/etc/acme/www/www.key";
  files.fullchain = "/etc/acme/www/fullchain.cer";
  config.services.push_back(serviceWith("acmesh", files));
  EXPECT_EQ(app::servicesForLineage(config, "/var/lib/lego/certificates", identity),
            std::vector<std::string>{"lego"});
  EXPECT_EQ(app::servicesForLineage(config, "/var/lib/lego/certificates/www.pem", identity),
            std::vector<std::string>{"lego"});
  EXPECT_EQ(app::servicesForLineage(config, "/etc/acme/www", identity),
            std::vector<std::string>{"acmesh"});
  EXPECT_TRUE(app::servicesForLineage(config, "/var/lib/lego", identity).empty())
      << "only files directly in the directory count";
}

}  // namespace
}  // namespace daneguard::testing
