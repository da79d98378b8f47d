// The rollover shell against a scripted DNS world (a primary that accepts UPDATEs and a
// secondary that copies it, or lags), a fake deployer and a fake clock: the safe order end to
// end, key reuse, failed and ambiguous UPDATEs, dry runs and refused certificates.
#include "app/rollover_runner.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "adapters/openssl/certificate_factory.hpp"
#include "adapters/openssl/pem_bundle.hpp"
#include "core/tlsa/tlsa_compute.hpp"
#include "support/run_command.hpp"
#include "unit/app/in_memory_state_store.hpp"
#include "unit/app/scripted_rollover_world.hpp"

namespace daneguard::testing {
namespace {

// Only an RFC 2136 publisher sends its change to the server it reads the zone from; for the
// other kinds (here the PowerDNS API) the action names the publisher, not its dns_server.
TEST(RolloverRunner, ActionsOfANonUpdatePublisherNameThePublisherNotItsDnsServer) {
  Harness h;
  h.config.publishers["primary"] = config::PowerDnsPublisher{};
  TestCa ca;
  h.certificates.pem = ca.bundle(newKey(), {"mail.example.test"});

  auto planned = h.run(app::RunMode::DryRun);
  ASSERT_FALSE(planned.failure) << planned.failure->message;
  ASSERT_FALSE(h.events.actions.empty());
  EXPECT_NE(h.events.actions[0].find("via publisher 'primary'"), std::string::npos)
      << h.events.actions[0];
  h.events.actions.clear();

  auto report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.dns.updates.size(), 1u);
  ASSERT_FALSE(h.events.actions.empty());
  EXPECT_EQ(h.events.actions[0].rfind("published 3 1 1 ", 0), 0u) << h.events.actions[0];
  EXPECT_NE(h.events.actions[0].find("at " + kOwner + " via publisher 'primary'"),
            std::string::npos)
      << h.events.actions[0];
  EXPECT_EQ(h.events.actions[0].find("127.0.0.1:53"), std::string::npos) << h.events.actions[0];
}

TEST(RolloverRunner, FirstEnablementPublishesWaitsTheNegativeTtlThenDeploysThenRetires) {
  Harness h;
  TestCa ca;
  const auto key_a = newKey();
  const std::string bundle_a = ca.bundle(key_a, {"mail.example.test"});
  const TlsaRecord record_a = record311(bundle_a);
  h.certificates.pem = bundle_a;

  // Run 1: the owner has no TLSA RRset: publish, add-only, guarded by "RRset absent".
  auto report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.dns.updates.size(), 1u);
  EXPECT_TRUE(h.dns.updates[0].deletions.empty());
  ASSERT_EQ(h.dns.updates[0].additions.size(), 1u);
  EXPECT_EQ(h.dns.updates[0].additions[0].record, record_a);
  EXPECT_EQ(h.dns.updates[0].ttl_seconds, 3600u);
  ASSERT_EQ(h.dns.updates[0].prerequisites.size(), 1u);
  EXPECT_EQ(h.dns.updates[0].prerequisites[0].kind,
            ports::UpdatePrerequisite::Kind::TlsaRrsetAbsent);
  EXPECT_TRUE(h.deployer.deployed.empty());
  // Resolvers may hold the denial for min(SOA MINIMUM, SOA TTL) = 300 s: 1 + 2 x 300 + 60.
  ASSERT_TRUE(report.next_due);
  EXPECT_EQ(*report.next_due, kStart + kWindowEnd);
  ASSERT_FALSE(h.events.actions.empty());
  EXPECT_EQ(h.events.actions[0].rfind("published 3 1 1 ", 0), 0u) << h.events.actions[0];
  EXPECT_NE(h.events.actions[0].find("at " + kOwner + " via 127.0.0.1:53"), std::string::npos);

  // A run one second early does nothing.
  h.clock.time = kStart + kWindowEnd - 1s;
  h.events.actions.clear();
  report = h.run();
  EXPECT_TRUE(h.events.actions.empty());
  EXPECT_TRUE(h.deployer.deployed.empty());

  // Due: deploy, nothing left to retire (no old records), idle.
  h.clock.time = kStart + kWindowEnd;
  report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.deployer.deployed.size(), 1u);
  EXPECT_EQ(h.events.actions.back(),
            "deployed " + app::shortId(h.deployer.deployed[0]) + " for service mail");
  EXPECT_FALSE(report.next_due);
  EXPECT_EQ(h.dns.updates.size(), 1u);

  // Steady state: the deployed certificate is observed without reading its private key.
  const std::size_t key_loads = h.certificates.key_loads;
  EXPECT_GT(key_loads, 0u) << "a new candidate's key is checked before it is published";
  report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_EQ(h.certificates.key_loads, key_loads);

  // Renewal with a new key: publish B next to A, wait 1 + 2 x 3600 + 60, deploy B, retire A.
  const auto key_b = newKey();
  const std::string bundle_b = ca.bundle(key_b, {"mail.example.test"});
  const TlsaRecord record_b = record311(bundle_b);
  h.certificates.pem = bundle_b;
  const sys_seconds renewal = h.clock.time;
  report = h.run();
  ASSERT_EQ(h.dns.updates.size(), 2u);
  ASSERT_EQ(h.dns.updates[1].prerequisites.size(), 1u);
  EXPECT_EQ(h.dns.updates[1].prerequisites[0].records, std::vector<TlsaRecord>{record_a});
  EXPECT_EQ(h.dns.primary[kOwner].records, (std::vector<TlsaRecord>{record_a, record_b}));
  EXPECT_EQ(h.deployer.deployed.size(), 1u);
  ASSERT_TRUE(report.next_due);
  EXPECT_EQ(*report.next_due, renewal + 7261s);

  h.clock.time = *report.next_due;
  report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.deployer.deployed.size(), 2u);
  ASSERT_EQ(h.dns.updates.size(), 3u);
  EXPECT_TRUE(h.dns.updates[2].additions.empty());
  ASSERT_EQ(h.dns.updates[2].deletions.size(), 1u);
  EXPECT_EQ(h.dns.updates[2].deletions[0].record, record_a);
  EXPECT_EQ(h.dns.primary[kOwner].records, std::vector<TlsaRecord>{record_b});
  EXPECT_EQ(h.events.actions.back().rfind("retired 3 1 1 ", 0), 0u);
  EXPECT_FALSE(report.next_due);
  const auto owned = h.store.loadService("mail")->owned.at(kOwner);
  EXPECT_EQ(owned, std::vector<TlsaRecord>{record_b});
}

TEST(RolloverRunner, WaitModeSleepsUntilEachStepAndFinishesTheRollover) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  h.certificates.pem = ca.bundle(key, {"mail.example.test"});
  h.dns.secondary_follows = false;  // the secondary lags until the clock has moved
  auto report = [&] {
    // Let the secondary catch up as soon as the runner first sleeps.
    struct CatchUpClock final : ports::Clock {
      FakeClock& inner;
      ScriptedDns& dns;
      CatchUpClock(FakeClock& c, ScriptedDns& d) : inner(c), dns(d) {}
      sys_seconds now() override { return inner.now(); }
      void sleepFor(seconds d) override { inner.sleepFor(d), dns.secondary = dns.primary; }
      void sleepUntil(sys_seconds t) override { inner.sleepUntil(t), dns.secondary = dns.primary; }
      void sleepUntilJustBefore(sys_seconds t) override { sleepUntil(t); }
    } clock(h.clock, h.dns);
    app::RunnerPorts ports{h.dns, h.dns, h.certificates, h.store, h.deployer, clock, h.events};
    app::RunOptions options;
    options.wait = true;
    return app::runRollover(h.config, ports, options);
  }();
  ASSERT_TRUE(report.has_value());
  ASSERT_FALSE(report->failure) << report->failure->message;
  EXPECT_EQ(h.deployer.deployed.size(), 1u);
  EXPECT_FALSE(report->next_due);
  // Published at kStart; the secondary served it after the first poll (10 s); then 2 x 300 + 60.
  EXPECT_GE(h.clock.time, kStart + 670s);
  EXPECT_LE(h.clock.time, kStart + 680s);
}

TEST(RolloverRunner, KeyReuseDeploysAtOnceWithoutAnyUpdate) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  const std::string old_bundle = ca.bundle(key, {"mail.example.test"});
  const TlsaRecord record = record311(old_bundle);
  h.dns.primary[kOwner] = {{record}, 3600};
  h.dns.secondary = h.dns.primary;
  ASSERT_TRUE(h.store.recordDeployed("mail", CertificateRecords{"old-id", {record}}, kStart));
  ASSERT_TRUE(h.store.addOwnedRecords("mail", kOwner, {record}));
  h.certificates.pem = ca.bundle(key, {"mail.example.test"});  // renewed, same key

  const auto report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_TRUE(h.dns.updates.empty());
  ASSERT_EQ(h.deployer.deployed.size(), 1u);
  EXPECT_NE(h.deployer.deployed[0], "old-id");
  EXPECT_EQ(h.clock.time, kStart);
  EXPECT_EQ(h.dns.primary[kOwner].records, std::vector<TlsaRecord>{record});
}

TEST(RolloverRunner, FailedUpdateStopsTheRunAndKeepsTheOldRecords) {
  Harness h;
  TestCa ca;
  const auto old_key = newKey();
  const TlsaRecord old_record = record311(ca.bundle(old_key, {"mail.example.test"}));
  h.dns.primary[kOwner] = {{old_record}, 3600};
  h.dns.secondary = h.dns.primary;
  ASSERT_TRUE(h.store.recordDeployed("mail", CertificateRecords{"old-id", {old_record}}, kStart));
  const auto new_key = newKey();
  h.certificates.pem = ca.bundle(new_key, {"mail.example.test"});
  h.dns.update_failures.push_back(Error{
      ErrorKind::Rejected, "127.0.0.1:53 refused the update for zone example.test.: REFUSED"});

  const auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_EQ(report.failure->kind, ErrorKind::Rejected);
  EXPECT_NE(report.failure->message.find("127.0.0.1:53"), std::string::npos);
  EXPECT_NE(report.failure->message.find("old records stay"), std::string::npos);
  EXPECT_EQ(h.dns.updates.size(), 1u);  // not retried
  EXPECT_TRUE(h.deployer.deployed.empty());
  EXPECT_EQ(h.dns.primary[kOwner].records, std::vector<TlsaRecord>{old_record});
  EXPECT_EQ(h.store.loadService("mail")->deployed.id, "old-id");
}

TEST(RolloverRunner, AmbiguousUpdateIsObservedAgainNotResentBlindly) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  const std::string bundle = ca.bundle(key, {"mail.example.test"});
  h.certificates.pem = bundle;
  h.dns.update_failures.push_back(Error{ErrorKind::Ambiguous, "timeout after sending UPDATE"});
  h.dns.apply_failed_updates = true;  // the server applied it; only the reply was lost

  const auto report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_EQ(h.dns.updates.size(), 1u);  // the next round saw the records: no second UPDATE
  EXPECT_EQ(h.dns.primary[kOwner].records, std::vector<TlsaRecord>{record311(bundle)});
  ASSERT_TRUE(report.next_due);
  EXPECT_EQ(*report.next_due, kStart + kWindowEnd);

  // When the lost UPDATE had not been applied, the re-observation shows it and it is sent again.
  Harness lost;
  lost.certificates.pem = bundle;
  lost.dns.update_failures.push_back(Error{ErrorKind::Ambiguous, "timeout after sending UPDATE"});
  const auto second = lost.run();
  ASSERT_FALSE(second.failure) << second.failure->message;
  EXPECT_EQ(lost.dns.updates.size(), 2u);
  EXPECT_EQ(lost.dns.primary[kOwner].records, std::vector<TlsaRecord>{record311(bundle)});
}

TEST(RolloverRunner, PlanWritesNothingSendsNothingAndRunsNoHook) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  h.certificates.pem = ca.bundle(key, {"mail.example.test"});

  const auto report = h.run(app::RunMode::DryRun);
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_EQ(h.store.writes(), 0);
  EXPECT_TRUE(h.dns.updates.empty());
  EXPECT_TRUE(h.dns.primary.empty());
  EXPECT_TRUE(h.deployer.deployed.empty());
  ASSERT_EQ(h.events.actions.size(), 1u);
  EXPECT_EQ(h.events.actions[0].rfind("would publish 3 1 1 ", 0), 0u) << h.events.actions[0];
  ASSERT_EQ(report.services.size(), 1u);
  EXPECT_EQ(report.services[0].phase, Phase::Publishing);
}

TEST(RolloverRunner, CandidateNotCoveringEveryHostIsRefusedAndNothingChanges) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  h.config.services[0].hosts = {"mail.example.test", "mx2.example.test"};
  h.certificates.pem = ca.bundle(key, {"mail.example.test"});

  const auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_EQ(report.failure->kind, ErrorKind::InvalidInput);
  EXPECT_NE(report.failure->message.find("does not cover host mx2.example.test"), std::string::npos)
      << report.failure->message;
  EXPECT_TRUE(h.dns.updates.empty());
  EXPECT_TRUE(h.deployer.deployed.empty());
  EXPECT_EQ(h.store.writes(), 0);
}

TEST(RolloverRunner, ExpiredCandidateIsRefused) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  h.certificates.pem = ca.bundle(key, {"mail.example.test"}, kStart - std::chrono::days(100),
                                 kStart - std::chrono::days(10));
  const auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_NE(report.failure->message.find("expired at"), std::string::npos);
  EXPECT_TRUE(h.dns.updates.empty());
}

TEST(RolloverRunner, FailedDeployKeepsTheOldDeploymentAndReportsTheHook) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  h.certificates.pem = ca.bundle(key, {"mail.example.test"});
  h.run();
  h.clock.time = kStart + kWindowEnd;
  h.deployer.failure =
      Error{ErrorKind::Rejected, "hook /usr/local/bin/deploy exited with status 3"};
  const auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_EQ(report.failure->kind, ErrorKind::Rejected);
  EXPECT_NE(report.failure->message.find("exited with status 3"), std::string::npos);
  EXPECT_TRUE(h.store.loadService("mail")->deployed.id.empty());
}

TEST(RolloverRunner, UnknownServiceIsAConfigError) {
  Harness h;
  app::RunOptions options;
  options.services = {"nope"};
  const auto report = app::runRollover(h.config, h.ports, options);
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().kind, ErrorKind::Config);
}

// ---- candidate refusal ----------------------------------------------------------------------

TEST(RolloverRunner, CandidateNotYetValidIsRefused) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  h.certificates.pem = ca.bundle(key, {"mail.example.test"}, kStart + std::chrono::days(1),
                                 kStart + std::chrono::days(91));
  const auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_EQ(report.failure->kind, ErrorKind::InvalidInput);
  EXPECT_NE(report.failure->message.find("not valid before"), std::string::npos)
      << report.failure->message;
  EXPECT_NE(report.failure->message.find("PEM bundle /unused.pem"), std::string::npos)
      << report.failure->message;
  EXPECT_TRUE(h.dns.updates.empty());
  EXPECT_TRUE(h.deployer.deployed.empty());
}

/// A second service "www" on its own owner and PEM file, next to "mail".
void addWwwService(config::Config& config) {
  config::Service www = config.services.front();
  www.name = "www";
  www.hosts = {"www.example.test"};
  www.certificate = config::PemBundleSource{"/www.pem"};
  config.services.push_back(www);
}
const std::string kWwwOwner = "_25._tcp.www.example.test.";

/// Deploys `bundle` for "mail" through a whole first rollover; returns the deployed id.
std::string deployFirst(Harness& h, const std::string& bundle) {
  h.certificates.pem = bundle;
  h.run();
  h.clock.time = kStart + kWindowEnd;
  const auto report = h.run();
  EXPECT_FALSE(report.failure) << report.failure->message;
  EXPECT_EQ(h.deployer.deployed.size(), 1u);
  return h.store.loadService("mail")->deployed.id;
}

TEST(RolloverRunner, RenewalWhoseKeyDoesNotMatchIsRefusedOldStaysOtherServicesProceed) {
  Harness h;
  TestCa ca;
  const auto key = newKey();
  const std::string good = ca.bundle(key, {"mail.example.test"});
  const std::string deployed = deployFirst(h, good);
  const std::size_t updates = h.dns.updates.size();

  addWwwService(h.config);
  h.certificates.pem_by_path["/www.pem"] = ca.bundle(newKey(), {"www.example.test"});
  // mail's renewal pairs a new certificate with a key that is not its own.
  const auto new_key = newKey();
  const auto other_key = newKey();
  const std::string renewed = ca.bundle(new_key, {"mail.example.test"});
  h.certificates.pem = std::string(other_key.private_key_pem.revealText()) +
                       renewed.substr(new_key.private_key_pem.revealText().size());

  const auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_NE(report.failure->message.find("service mail"), std::string::npos)
      << report.failure->message;
  EXPECT_NE(report.failure->message.find("test bundle"), std::string::npos)
      << "names the file: " << report.failure->message;
  EXPECT_NE(report.failure->message.find("does not match"), std::string::npos)
      << report.failure->message;
  EXPECT_EQ(h.store.loadService("mail")->deployed.id, deployed);
  ASSERT_EQ(report.services.size(), 2u);
  EXPECT_TRUE(report.services[0].error);
  EXPECT_FALSE(report.services[1].error);
  // Only www's first record was published; nothing happened at mail's owner.
  ASSERT_EQ(h.dns.updates.size(), updates + 1);
  ASSERT_EQ(h.dns.updates.back().additions.size(), 1u);
  EXPECT_EQ(h.dns.updates.back().additions[0].owner, kWwwOwner);
  EXPECT_EQ(h.deployer.deployed.size(), 1u);
}

TEST(RolloverRunner, CandidateWhoseChainDoesNotLinkIsRefused) {
  Harness h;
  TestCa ca;
  TestCa unrelated;
  const auto key = newKey();
  h.certificates.pem = ca.bundle(key, {"mail.example.test"}) + unrelated.certificate();
  const auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_EQ(report.failure->kind, ErrorKind::InvalidInput);
  EXPECT_NE(report.failure->message.find("test bundle"), std::string::npos)
      << report.failure->message;
  EXPECT_NE(report.failure->message.find("the deployed certificate and its records stay"),
            std::string::npos)
      << report.failure->message;
  EXPECT_TRUE(h.dns.updates.empty());
  EXPECT_TRUE(h.deployer.deployed.empty());
}

TEST(RolloverRunner, UnreadableSourceIsReportedPerServiceNamingTheSource) {
  Harness h;
  h.certificates.failure = Error{ErrorKind::NotFound, "/unused.pem: No such file or directory"};
  const auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_EQ(report.failure->kind, ErrorKind::NotFound);
  EXPECT_NE(report.failure->message.find("service mail: cannot use the certificate from PEM "
                                         "bundle /unused.pem"),
            std::string::npos)
      << report.failure->message;
  EXPECT_TRUE(h.dns.updates.empty());
}

// ---- dual certificates (RSA + ECDSA) --------------------------------------------------------

ossl::GeneratedKey newRsaKey() {
  return std::move(*ossl::generateKey(KeyAlgorithm::Rsa, 2048));
}

/// Certificates without keys, built afresh (LoadedCertificate is move-only: it holds a secret).
std::vector<LoadedCertificate> chainsOf(const std::vector<std::string>& bundles) {
  std::vector<LoadedCertificate> loaded;
  for (const std::string& bundle : bundles) {
    auto chain = ossl::loadCertificateChainFromText(bundle, "test");
    EXPECT_TRUE(chain.has_value());
    PublicKeyFacts key = chain->leaf().public_key;
    loaded.push_back(LoadedCertificate{std::move(*chain), std::nullopt, std::move(key)});
  }
  return loaded;
}

void makeDual(config::Config& config) {
  config.services[0].certificate = config::PemBundleSource{"/rsa.pem"};
  config.services[0].additional_certificates = {config::PemBundleSource{"/ecdsa.pem"}};
}

Bytes leafOf(const std::string& bundle) {
  return ossl::loadPemBundleFromText(bundle, "test")->chain.leaf().der;
}

TEST(RolloverRunner, DualCertificatesArePublishedTogetherAndOnlyTheChangedKeyWaits) {
  Harness h;
  TestCa ca;
  makeDual(h.config);
  const auto rsa_key = newRsaKey();
  const auto ecdsa_key = newKey();
  const std::string rsa_a = ca.bundle(rsa_key, {"mail.example.test"});
  const std::string ecdsa = ca.bundle(ecdsa_key, {"mail.example.test"});
  h.certificates.pem_by_path = {{"/rsa.pem", rsa_a}, {"/ecdsa.pem", ecdsa}};
  const TlsaRecord rsa_record_a = record311(rsa_a);
  const TlsaRecord ecdsa_record = record311(ecdsa);

  // Both records in one add-only UPDATE, then one deploy of both, RSA (the primary) first.
  auto report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.dns.updates.size(), 1u);
  ASSERT_EQ(h.dns.updates[0].additions.size(), 2u);
  EXPECT_EQ(h.dns.primary[kOwner].records, (std::vector<TlsaRecord>{rsa_record_a, ecdsa_record}));
  h.clock.time = kStart + kWindowEnd;
  report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.deployer.deployed_leaves.size(), 1u);
  EXPECT_EQ(h.deployer.deployed_leaves[0], (std::vector<Bytes>{leafOf(rsa_a), leafOf(ecdsa)}));
  const std::string first_id = h.deployer.deployed[0];
  EXPECT_EQ(first_id, app::certificateId(chainsOf({rsa_a, ecdsa})));

  // Only the RSA certificate is renewed with a new key: its record is published and the
  // deploy waits for the full cache window although the ECDSA record is long visible.
  const auto rsa_key_b = newRsaKey();
  const std::string rsa_b = ca.bundle(rsa_key_b, {"mail.example.test"});
  const TlsaRecord rsa_record_b = record311(rsa_b);
  h.certificates.pem_by_path["/rsa.pem"] = rsa_b;
  const sys_seconds renewal = h.clock.time;
  report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.dns.updates.size(), 2u);
  EXPECT_EQ(h.dns.updates[1].additions.size(), 1u);
  EXPECT_EQ(h.dns.updates[1].additions[0].record, rsa_record_b);
  EXPECT_EQ(h.deployer.deployed.size(), 1u);
  ASSERT_TRUE(report.next_due);
  EXPECT_EQ(*report.next_due, renewal + 7261s);  // 1 + 2 x 3600 + 60

  h.clock.time = *report.next_due - 1s;
  h.run();
  EXPECT_EQ(h.deployer.deployed.size(), 1u) << "one second early";

  h.clock.time = renewal + 7261s;
  report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.deployer.deployed.size(), 2u);
  EXPECT_NE(h.deployer.deployed[1], first_id);
  EXPECT_EQ(h.deployer.deployed_leaves[1], (std::vector<Bytes>{leafOf(rsa_b), leafOf(ecdsa)}));
  // Only the old RSA record is retired; the ECDSA record stays.
  ASSERT_EQ(h.dns.updates.size(), 3u);
  ASSERT_EQ(h.dns.updates[2].deletions.size(), 1u);
  EXPECT_EQ(h.dns.updates[2].deletions[0].record, rsa_record_a);
  EXPECT_EQ(h.dns.primary[kOwner].records, (std::vector<TlsaRecord>{ecdsa_record, rsa_record_b}));
  EXPECT_FALSE(report.next_due);
}

TEST(RolloverRunner, DualRenewalReusingBothKeysDeploysAtOnce) {
  Harness h;
  TestCa ca;
  makeDual(h.config);
  const auto rsa_key = newRsaKey();
  const auto ecdsa_key = newKey();
  h.certificates.pem_by_path = {{"/rsa.pem", ca.bundle(rsa_key, {"mail.example.test"})},
                                {"/ecdsa.pem", ca.bundle(ecdsa_key, {"mail.example.test"})}};
  h.run();
  h.clock.time = kStart + kWindowEnd;
  h.run();
  ASSERT_EQ(h.deployer.deployed.size(), 1u);
  const std::size_t updates = h.dns.updates.size();

  h.certificates.pem_by_path["/ecdsa.pem"] = ca.bundle(ecdsa_key, {"mail.example.test"});
  const auto report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  EXPECT_EQ(h.dns.updates.size(), updates);
  EXPECT_EQ(h.deployer.deployed.size(), 2u);
}

TEST(RolloverRunner, CandidateIdOfSeveralCertificatesIgnoresTheirOrderButNotTheirContent) {
  TestCa ca;
  const std::string a = ca.bundle(newRsaKey(), {"m.example"});
  const std::string b = ca.bundle(newKey(), {"m.example"});
  const std::string c = ca.bundle(newKey(), {"m.example"});
  const std::string ab = app::certificateId(chainsOf({a, b}));
  EXPECT_EQ(ab, app::certificateId(chainsOf({b, a})));
  EXPECT_NE(ab, app::certificateId(chainsOf({a, c})));
  EXPECT_EQ(app::certificateId(chainsOf({a})), app::certificateId(chainsOf({a})[0].chain));
  // Independent recomputation: SHA-256 of the sorted leaf ids joined by a newline.
  std::vector<std::string> ids{app::certificateId(chainsOf({a})[0].chain),
                               app::certificateId(chainsOf({b})[0].chain)};
  std::ranges::sort(ids);
  const auto expected = runCommand({"sha256sum"}, ids[0] + "\n" + ids[1]);
  ASSERT_EQ(expected.exit_code, 0);
  EXPECT_EQ(expected.out.substr(0, 64), ab);
}

TEST(RolloverRunner, TwoCertificatesWithTheSameKeyTypeAreRefused) {
  Harness h;
  TestCa ca;
  makeDual(h.config);
  h.certificates.pem_by_path = {{"/rsa.pem", ca.bundle(newKey(), {"mail.example.test"})},
                                {"/ecdsa.pem", ca.bundle(newKey(), {"mail.example.test"})}};
  const auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_NE(report.failure->message.find("PEM bundle /ecdsa.pem"), std::string::npos)
      << report.failure->message;
  EXPECT_NE(report.failure->message.find("must differ in key type"), std::string::npos)
      << report.failure->message;
  EXPECT_TRUE(h.dns.updates.empty());
}

// ---- CNAME'd TLSA owners ---------------------------------------------------------------------

const std::string kSharedOwner = "_dane.example.test.";

TEST(RolloverRunner, CnamedOwnerIsPublishedAtTheTargetAndTheCnameTtlIsWaitedFor) {
  Harness h;
  TestCa ca;
  h.dns.cnames[kOwner] = {kSharedOwner, 300};
  const auto key_a = newKey();
  const std::string bundle_a = ca.bundle(key_a, {"mail.example.test"});
  const TlsaRecord record_a = record311(bundle_a);
  h.certificates.pem = bundle_a;

  auto report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.dns.updates.size(), 1u);
  ASSERT_EQ(h.dns.updates[0].additions.size(), 1u);
  EXPECT_EQ(h.dns.updates[0].additions[0].owner, kSharedOwner);
  EXPECT_FALSE(h.dns.primary.contains(kOwner)) << "nothing may be added next to a CNAME";
  // Negative TTL 300 s + CNAME TTL 300 s, x 2, + 60 s margin, + the observing second.
  ASSERT_TRUE(report.next_due);
  EXPECT_EQ(*report.next_due, kStart + 1s + 2 * (300s + 300s) + 60s);
  h.clock.time = *report.next_due - 1s;
  h.run();
  EXPECT_TRUE(h.deployer.deployed.empty());
  h.clock.time = kStart + 1261s;
  report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.deployer.deployed.size(), 1u);

  // Renewal with a new key: published at the target, wait (3600 + 300) x 2 + 60, retire there.
  const auto key_b = newKey();
  const std::string bundle_b = ca.bundle(key_b, {"mail.example.test"});
  const TlsaRecord record_b = record311(bundle_b);
  h.certificates.pem = bundle_b;
  const sys_seconds renewal = h.clock.time;
  report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.dns.updates.size(), 2u);
  EXPECT_EQ(h.dns.updates[1].additions.at(0).owner, kSharedOwner);
  ASSERT_TRUE(report.next_due);
  EXPECT_EQ(*report.next_due, renewal + 1s + 2 * (3600s + 300s) + 60s);
  h.clock.time = *report.next_due;
  report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.deployer.deployed.size(), 2u);
  ASSERT_EQ(h.dns.updates.size(), 3u);
  ASSERT_EQ(h.dns.updates[2].deletions.size(), 1u);
  EXPECT_EQ(h.dns.updates[2].deletions[0].owner, kSharedOwner);
  EXPECT_EQ(h.dns.updates[2].deletions[0].record, record_a);
  EXPECT_EQ(h.dns.primary[kSharedOwner].records, std::vector<TlsaRecord>{record_b});
  EXPECT_EQ(h.store.loadService("mail")->owned.at(kSharedOwner), std::vector<TlsaRecord>{record_b});
}

TEST(RolloverRunner, ServersDisagreeingAboutACnameStopTheServiceUntilTheyAgree) {
  Harness h;
  TestCa ca;
  h.dns.cnames[kOwner] = {kSharedOwner, 300};
  h.dns.secondary_lacks_cnames = true;
  h.certificates.pem = ca.bundle(newKey(), {"mail.example.test"});
  const auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_EQ(report.failure->kind, ErrorKind::Transient);
  EXPECT_NE(report.failure->message.find("not every server answers " + kOwner +
                                         " with the CNAME to " + kSharedOwner),
            std::string::npos)
      << report.failure->message;
  EXPECT_TRUE(h.dns.updates.empty());
}

TEST(RolloverRunner, TwoOwnersAliasingOneRrsetArePlannedOnceWithTheLongerCnameTtl) {
  Harness h;
  TestCa ca;
  h.config.services[0].hosts = {"mail.example.test", "mx2.example.test"};
  h.dns.cnames[kOwner] = {kSharedOwner, 300};
  h.dns.cnames["_25._tcp.mx2.example.test."] = {kSharedOwner, 900};
  h.certificates.pem = ca.bundle(newKey(), {"mail.example.test", "mx2.example.test"});
  const auto report = h.run();
  ASSERT_FALSE(report.failure) << report.failure->message;
  ASSERT_EQ(h.dns.updates.size(), 1u);
  ASSERT_EQ(h.dns.updates[0].additions.size(), 1u) << "one record at the one shared owner";
  EXPECT_EQ(h.dns.updates[0].additions[0].owner, kSharedOwner);
  ASSERT_TRUE(report.next_due);
  EXPECT_EQ(*report.next_due, kStart + 1s + 2 * (300s + 900s) + 60s);
}

TEST(RolloverRunner, ACnameToACnameIsRefusedWithAnExplanation) {
  Harness h;
  TestCa ca;
  h.dns.cnames[kOwner] = {kSharedOwner, 300};
  h.dns.cnames[kSharedOwner] = {"_other.example.test.", 300};
  h.certificates.pem = ca.bundle(newKey(), {"mail.example.test"});
  const auto report = h.run();
  ASSERT_TRUE(report.failure);
  EXPECT_NE(report.failure->message.find("which is a CNAME again"), std::string::npos)
      << report.failure->message;
  EXPECT_TRUE(h.dns.updates.empty());
}

}  // namespace
}  // namespace daneguard::testing
