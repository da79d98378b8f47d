#include "core/rollover/rollover_planner.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace daneguard {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_days;

const Instant kStart = sys_days{2026y / 11 / 26} + 0s;
// VisibleSince is dated at the end of the second it was observed in: the clock's instants are
// rounded down, so the observation happened before kStart + 1 s, not necessarily at kStart.
constexpr auto kObservingSecond = 1s;
const AuthoritativeServer kNs1{"ns1.example.test", "127.0.0.2"};
const AuthoritativeServer kNs2{"ns2.example.test", "127.0.0.3"};
const std::string kOwner = "_25._tcp.mail.example.test.";

TlsaRecord record(std::uint8_t tag, TlsaUsage usage = TlsaUsage::DaneEe) {
  return TlsaRecord{TlsaParameters{usage, TlsaSelector::Spki, TlsaMatchingType::Sha256},
                    Bytes(32, tag)};
}
const TlsaRecord kOld = record(0x01);
const TlsaRecord kNew = record(0x02);
const TlsaRecord kNewIssuer = record(0x03, TlsaUsage::DaneTa);
const TlsaRecord kNext = record(0x04);
const TlsaRecord kForeign = record(0x05);

OwnerState owner(std::string name, std::vector<ServerAnswer> answers) {
  OwnerState state;
  state.owner = std::move(name);
  state.soa = SoaFacts{300s, 3600s};  // negative TTL 300 s
  state.answers = std::move(answers);
  return state;
}

/// A renewal with a new key: the old record is published and owned, the new one is not.
RolloverInput renewal(std::vector<TlsaRecord> served, Duration ttl = 3600s) {
  ServiceState service;
  service.name = "mail";
  service.deployed = {"cert-old", {kOld}};
  service.candidate = {"cert-new", {kNew}};
  OwnerState state = owner(
      kOwner, {ServerAnswer::rrset(kNs1, served, ttl), ServerAnswer::rrset(kNs2, served, ttl)});
  state.owned = {kOld};
  service.owners.push_back(state);
  return RolloverInput{{service}, RolloverPolicy{}, kStart};
}

template <class T>
std::vector<T> actionsOf(const RolloverPlan& plan) {
  std::vector<T> found;
  for (const RolloverAction& action : plan.actions)
    if (const T* typed = std::get_if<T>(&action)) found.push_back(*typed);
  return found;
}

/// What the shell does with RecordFact actions, so the next plan sees them as recorded.
void recordFacts(RolloverInput& input, const RolloverPlan& plan) {
  for (const RecordFact& fact : actionsOf<RecordFact>(plan))
    for (ServiceState& service : input.services)
      for (OwnerState& state : service.owners)
        if (service.name == fact.service && state.owner == fact.owner)
          mergeRecordFact(state.history, fact);
}

/// Every server now serves `records` with `ttl`.
void serveEverywhere(RolloverInput& input, std::vector<TlsaRecord> records, Duration ttl) {
  for (OwnerState& state : input.services[0].owners)
    for (ServerAnswer& answer : state.answers)
      answer = ServerAnswer::rrset(answer.server, records, ttl);
}

bool hasReasonContaining(const ServicePlan& plan, std::string_view text) {
  return std::ranges::any_of(plan.reasons, [&](const std::string& reason) {
    return reason.find(text) != std::string::npos;
  });
}

/// Runs plan/record until the candidate is visible everywhere; returns the deploy instant the
/// planner announces.
Instant cacheWindowEnd(RolloverInput& input) {
  RolloverPlan plan = planRollover(input);
  recordFacts(input, plan);
  plan = planRollover(input);
  EXPECT_EQ(plan.services[0].phase, Phase::AwaitingCacheExpiry);
  EXPECT_TRUE(actionsOf<Deploy>(plan).empty());
  return plan.next_due.value();
}

TEST(RolloverPlanner, PublishesCandidateNextToTheOldRecordFirst) {
  RolloverInput input = renewal({kOld});
  const RolloverPlan plan = planRollover(input);
  const auto published = actionsOf<PublishRecords>(plan);
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].owner, kOwner);
  EXPECT_EQ(published[0].records, std::vector<TlsaRecord>{kNew});
  EXPECT_EQ(published[0].ttl, 3600s);
  EXPECT_TRUE(actionsOf<Deploy>(plan).empty());
  EXPECT_TRUE(actionsOf<RetireRecords>(plan).empty());
  EXPECT_EQ(plan.services[0].phase, Phase::Publishing);
  EXPECT_EQ(plan.next_due, kStart) << "actions planned: observe again right after them";
  // The old RRset's TTL is recorded before the publish action, so a crash cannot lose it.
  const auto first_publish = std::ranges::find_if(plan.actions, [](const RolloverAction& a) {
    return std::holds_alternative<PublishRecords>(a);
  });
  const auto exposure = std::ranges::find_if(plan.actions, [](const RolloverAction& a) {
    const auto* fact = std::get_if<RecordFact>(&a);
    return fact != nullptr && fact->kind == FactKind::SeenLackingInRrset && fact->ttl == 3600s;
  });
  EXPECT_LT(exposure, first_publish);
}

TEST(RolloverPlanner, WaitsTwiceTheOldTtlPlusMarginAfterFullVisibility) {
  RolloverInput input = renewal({kOld});
  recordFacts(input, planRollover(input));
  input.now = kStart + 59min;  // say the secondaries took 59 minutes
  serveEverywhere(input, {kOld, kNew}, 3600s);
  const Instant due = cacheWindowEnd(input);
  EXPECT_EQ(due, kStart + 59min + kObservingSecond + 2 * 3600s + 60s);
  const RolloverPlan waiting = planRollover(input);
  EXPECT_TRUE(hasReasonContaining(waiting.services[0],
                                  "cache window for _25._tcp.mail.example.test.: old RRset TTL "
                                  "3600 s x 2 + 60 s margin, due 2026-11-26T03:00:01Z"));
  input.now = due - 1s;
  EXPECT_TRUE(actionsOf<Deploy>(planRollover(input)).empty());
  input.now = due;
  const RolloverPlan deploy = planRollover(input);
  ASSERT_EQ(actionsOf<Deploy>(deploy).size(), 1u);
  EXPECT_EQ(actionsOf<Deploy>(deploy)[0].candidate_id, "cert-new");
  EXPECT_EQ(deploy.services[0].phase, Phase::Deploying);
  EXPECT_TRUE(actionsOf<RetireRecords>(deploy).empty()) << "retire only after deploy recorded";
}

TEST(RolloverPlanner, CacheFactorAndMarginComeFromPolicy) {
  RolloverInput input = renewal({kOld}, 600s);
  input.policy.cache_factor = 1;
  input.policy.margin = 5s;
  input.policy.record_ttl = 600s;
  recordFacts(input, planRollover(input));
  serveEverywhere(input, {kOld, kNew}, 600s);
  EXPECT_EQ(cacheWindowEnd(input), kStart + kObservingSecond + 600s + 5s);
}

TEST(RolloverPlanner, FirstEnablementWaitsForTheNegativeTtl) {
  RolloverInput input = renewal({});
  for (ServerAnswer& answer : input.services[0].owners[0].answers)
    answer = ServerAnswer::noRrset(answer.server);
  input.services[0].owners[0].owned.clear();
  const RolloverPlan first = planRollover(input);
  const auto published = actionsOf<PublishRecords>(first);
  ASSERT_EQ(published.size(), 1u);
  // The deployed certificate's record too: a new RRset without it would break DANE for the
  // certificate still served until the deploy.
  EXPECT_EQ(published[0].records, (std::vector<TlsaRecord>{kOld, kNew}));
  recordFacts(input, first);
  input.now = kStart + 10s;
  serveEverywhere(input, {kOld, kNew}, 3600s);
  EXPECT_EQ(cacheWindowEnd(input), kStart + 10s + kObservingSecond + 2 * 300s + 60s);
  EXPECT_TRUE(hasReasonContaining(planRollover(input).services[0],
                                  "negative TTL (no TLSA RRset before) 300 s x 2"));
}

TEST(RolloverPlanner, NegativeTtlIsTheSmallerOfSoaMinimumAndSoaTtl) {
  EXPECT_EQ((SoaFacts{300s, 3600s}.negativeTtl()), 300s);
  EXPECT_EQ((SoaFacts{86400s, 900s}.negativeTtl()), 900s);
}

TEST(RolloverPlanner, RaisedTtlMakesTheWindowUseTheNewTtl) {
  RolloverInput input = renewal({kOld}, 300s);
  recordFacts(input, planRollover(input));
  serveEverywhere(input, {kOld, kNew}, 3600s);
  EXPECT_EQ(cacheWindowEnd(input), kStart + kObservingSecond + 2 * 3600s + 60s);
  EXPECT_TRUE(hasReasonContaining(planRollover(input).services[0], "changed RRset TTL 3600 s"));
}

TEST(RolloverPlanner, LoweredTtlStillWaitsForTheOldLongerTtl) {
  RolloverInput input = renewal({kOld}, 7200s);
  recordFacts(input, planRollover(input));
  serveEverywhere(input, {kOld, kNew}, 3600s);
  EXPECT_EQ(cacheWindowEnd(input), kStart + kObservingSecond + 2 * 7200s + 60s);
}

TEST(RolloverPlanner, KeyReuseDeploysAtOnceWithoutDnsChange) {
  RolloverInput input = renewal({kOld});
  input.services[0].candidate = {"cert-renewed-same-key", {kOld}};
  // Even a failing server does not matter: the served RRsets do not change at all.
  input.services[0].owners[0].answers[1] = ServerAnswer::failed(kNs2, "timeout");
  const RolloverPlan plan = planRollover(input);
  ASSERT_EQ(actionsOf<Deploy>(plan).size(), 1u);
  EXPECT_EQ(actionsOf<Deploy>(plan)[0].candidate_id, "cert-renewed-same-key");
  EXPECT_TRUE(actionsOf<PublishRecords>(plan).empty());
  EXPECT_EQ(plan.services[0].phase, Phase::Deploying);
}

TEST(RolloverPlanner, StagedNextKeyRecordsVisibleLongEnoughDeployAtOnce) {
  RolloverInput input = renewal({kOld, kNext});
  input.services[0].candidate = {"cert-next", {kNext}};
  RecordHistory history;
  history.record = kNext;
  history.longest_ttl_without = 3600s;
  history.visible_since = kStart - 30 * 24h;
  input.services[0].owners[0].history = {history};
  const RolloverPlan plan = planRollover(input);
  EXPECT_EQ(actionsOf<Deploy>(plan).size(), 1u);
  EXPECT_TRUE(actionsOf<PublishRecords>(plan).empty());
}

TEST(RolloverPlanner, LaggingServerIsNamedAndBlocksTheDeploy) {
  RolloverInput input = renewal({kOld});
  input.services[0].candidate.records = {kNew, kNewIssuer};
  recordFacts(input, planRollover(input));
  OwnerState& state = input.services[0].owners[0];
  state.answers[0] = ServerAnswer::rrset(kNs1, {kOld, kNew, kNewIssuer}, 3600s);
  state.answers[1] = ServerAnswer::rrset(kNs2, {kOld, kNew}, 3600s);
  input.now = kStart + 24h;  // long after: still no deploy while a server lags
  input.policy.propagation_timeout = 48h;
  recordFacts(input, planRollover(input));  // kNew is visible everywhere: recorded
  const RolloverPlan plan = planRollover(input);
  EXPECT_TRUE(actionsOf<Deploy>(plan).empty());
  EXPECT_TRUE(actionsOf<PublishRecords>(plan).empty()) << "ns1 has them: propagating";
  EXPECT_EQ(plan.services[0].phase, Phase::AwaitingVisibility);
  EXPECT_EQ(plan.next_due, input.now + input.policy.poll_interval);
  EXPECT_TRUE(hasReasonContaining(plan.services[0],
                                  "waiting for ns2.example.test (127.0.0.3) to serve "
                                  "_25._tcp.mail.example.test.: it serves 1 of 2 records"));
}

TEST(RolloverPlanner, FailedQueryIsNeverTakenAsServing) {
  RolloverInput input = renewal({kOld});
  recordFacts(input, planRollover(input));
  serveEverywhere(input, {kOld, kNew}, 3600s);
  input.services[0].owners[0].answers[1] = ServerAnswer::failed(kNs2, "timeout after 3 tries");
  input.now = kStart + 30 * 24h;
  const RolloverPlan plan = planRollover(input);
  EXPECT_TRUE(actionsOf<Deploy>(plan).empty());
  EXPECT_TRUE(hasReasonContaining(plan.services[0],
                                  "waiting for ns2.example.test (127.0.0.3): its query for "
                                  "_25._tcp.mail.example.test. failed: timeout after 3 tries"));
  // Nor as visibility: no VisibleSince can be recorded while a server is unknown.
  for (const RecordFact& fact : actionsOf<RecordFact>(plan))
    EXPECT_NE(fact.kind, FactKind::VisibleSince);
}

TEST(RolloverPlanner, FailedQueryPreventsPublishingRecordsThatMayBeForeign) {
  RolloverInput input = renewal({kOld});
  input.services[0].owners[0].answers[1] = ServerAnswer::failed(kNs2, "SERVFAIL");
  EXPECT_TRUE(actionsOf<PublishRecords>(planRollover(input)).empty());
}

TEST(RolloverPlanner, PropagationTimeoutBlocksAndNamesTheLaggingServer) {
  RolloverInput input = renewal({kOld});
  recordFacts(input, planRollover(input));
  OwnerState& state = input.services[0].owners[0];
  state.answers[0] = ServerAnswer::rrset(kNs1, {kOld, kNew}, 3600s);
  input.now = kStart + input.policy.propagation_timeout - 1s;
  EXPECT_EQ(planRollover(input).services[0].phase, Phase::AwaitingVisibility);
  input.now = kStart + input.policy.propagation_timeout;
  const RolloverPlan plan = planRollover(input);
  EXPECT_EQ(plan.services[0].phase, Phase::Blocked);
  EXPECT_TRUE(hasReasonContaining(plan.services[0], "ns2.example.test (127.0.0.3)"));
  EXPECT_TRUE(hasReasonContaining(plan.services[0], "propagation timeout"));
  EXPECT_TRUE(actionsOf<Deploy>(plan).empty());
  EXPECT_TRUE(actionsOf<RetireRecords>(plan).empty());
  EXPECT_EQ(plan.next_due, input.now + input.policy.poll_interval) << "keeps watching";
}

/// The state right after a deploy of cert-new was recorded.
RolloverInput deployed(std::vector<TlsaRecord> served, std::vector<TlsaRecord> owned) {
  RolloverInput input = renewal(served);
  input.services[0].deployed = input.services[0].candidate;
  input.services[0].owners[0].owned = std::move(owned);
  return input;
}

TEST(RolloverPlanner, RetiresOnlyOwnedRecordsThatMatchNothingWanted) {
  RolloverInput input = deployed({kOld, kForeign, kNew}, {kOld, kNew});
  const RolloverPlan plan = planRollover(input);
  const auto retired = actionsOf<RetireRecords>(plan);
  ASSERT_EQ(retired.size(), 1u);
  EXPECT_EQ(retired[0].records, std::vector<TlsaRecord>{kOld});
  EXPECT_EQ(plan.services[0].phase, Phase::Retiring);
}

TEST(RolloverPlanner, ForeignRecordsAreNeverRetiredEvenIfStale) {
  RolloverInput input = deployed({kForeign, kNew}, {kNew});
  recordFacts(input, planRollover(input));
  const RolloverPlan plan = planRollover(input);
  EXPECT_TRUE(actionsOf<RetireRecords>(plan).empty());
  EXPECT_EQ(plan.services[0].phase, Phase::Idle);
  EXPECT_FALSE(plan.next_due) << "finished";
}

TEST(RolloverPlanner, StagedNextKeyIsPublishedAndKept) {
  RolloverInput input = deployed({kOld, kNew}, {kOld, kNew});
  input.services[0].next_key = CertificateRecords{"next-key", {kNext}};
  RolloverPlan plan = planRollover(input);
  ASSERT_EQ(actionsOf<PublishRecords>(plan).size(), 1u);
  EXPECT_EQ(actionsOf<PublishRecords>(plan)[0].records, std::vector<TlsaRecord>{kNext});
  input.services[0].owners[0].owned.push_back(kNext);
  serveEverywhere(input, {kOld, kNew, kNext}, 3600s);
  plan = planRollover(input);
  ASSERT_EQ(actionsOf<RetireRecords>(plan).size(), 1u);
  EXPECT_EQ(actionsOf<RetireRecords>(plan)[0].records, std::vector<TlsaRecord>{kOld});
}

TEST(RolloverPlanner, NeverRetiresTheLastRecordMatchingWhatIsDeployed) {
  // ns2 somehow lost the deployed record: removing kOld would leave it nothing that matches.
  RolloverInput input = deployed({kOld, kNew}, {kOld, kNew});
  input.services[0].owners[0].answers[1] = ServerAnswer::rrset(kNs2, {kOld}, 3600s);
  const RolloverPlan plan = planRollover(input);
  EXPECT_TRUE(actionsOf<RetireRecords>(plan).empty());
  EXPECT_EQ(plan.services[0].phase, Phase::Retiring);
}

TEST(RolloverPlanner, RetireWaitsWhileAQueryFails) {
  RolloverInput input = deployed({kOld, kNew}, {kOld, kNew});
  input.services[0].owners[0].answers[1] = ServerAnswer::failed(kNs2, "timeout");
  EXPECT_TRUE(actionsOf<RetireRecords>(planRollover(input)).empty());
}

TEST(RolloverPlanner, VerifyComesBeforeRetireWhenEnabled) {
  RolloverInput input = deployed({kOld, kNew}, {kOld, kNew});
  input.policy.verify_after_deploy = true;
  RolloverPlan plan = planRollover(input);
  ASSERT_EQ(actionsOf<Verify>(plan).size(), 1u);
  EXPECT_TRUE(actionsOf<RetireRecords>(plan).empty());
  EXPECT_EQ(plan.services[0].phase, Phase::Verifying);
  input.services[0].verified_id = "cert-new";
  plan = planRollover(input);
  EXPECT_TRUE(actionsOf<Verify>(plan).empty());
  EXPECT_EQ(actionsOf<RetireRecords>(plan).size(), 1u);
}

TEST(RolloverPlanner, EveryOwnerMustBeReadyAndOneDeployCoversThemAll) {
  RolloverInput input = renewal({kOld});
  OwnerState second = input.services[0].owners[0];
  second.owner = "_443._tcp.www.example.test.";
  input.services[0].owners.push_back(second);
  recordFacts(input, planRollover(input));
  input.services[0].owners[0].answers = {ServerAnswer::rrset(kNs1, {kOld, kNew}, 3600s),
                                         ServerAnswer::rrset(kNs2, {kOld, kNew}, 3600s)};
  input.services[0].owners[1].answers[0] = ServerAnswer::rrset(kNs1, {kOld, kNew}, 3600s);
  recordFacts(input, planRollover(input));
  input.now = kStart + 10 * 24h;
  RolloverPlan plan = planRollover(input);
  EXPECT_TRUE(actionsOf<Deploy>(plan).empty()) << "the second owner still lags on ns2";
  EXPECT_TRUE(hasReasonContaining(plan.services[0], "_443._tcp.www.example.test."));
  serveEverywhere(input, {kOld, kNew}, 3600s);
  recordFacts(input, planRollover(input));
  input.now += kObservingSecond + 2 * 3600s + 60s;
  plan = planRollover(input);
  EXPECT_EQ(actionsOf<Deploy>(plan).size(), 1u);
}

TEST(RolloverPlanner, RecordsPublishedButNotRecordedAreFoundAfterACrash) {
  // The UPDATE went out and reached every server, but the run died before recording anything:
  // visibility starts now and the unknown previous version is assumed to be the worse one.
  RolloverInput input = renewal({kOld, kNew});
  const RolloverPlan plan = planRollover(input);
  EXPECT_TRUE(actionsOf<PublishRecords>(plan).empty());
  recordFacts(input, plan);
  EXPECT_EQ(planRollover(input).next_due, kStart + kObservingSecond + 2 * 3600s + 60s);
  EXPECT_TRUE(
      hasReasonContaining(planRollover(input).services[0], "unknown history, assumed current"));
}

TEST(RolloverPlanner, ReplanningWithRecordedFactsPlansNoFactAgain) {
  RolloverInput input = renewal({kOld});
  recordFacts(input, planRollover(input));
  for (const RolloverAction& action : planRollover(input).actions)
    EXPECT_FALSE(std::holds_alternative<RecordFact>(action));
}

TEST(RolloverPlanner, RecordThatDisappearsMustBecomeVisibleAgain) {
  RolloverInput input = renewal({kOld, kNew});
  recordFacts(input, planRollover(input));
  input.services[0].owners[0].answers[1] = ServerAnswer::rrset(kNs2, {kOld}, 3600s);
  const RolloverPlan plan = planRollover(input);
  EXPECT_TRUE(std::ranges::any_of(actionsOf<RecordFact>(plan), [](const RecordFact& fact) {
    return fact.kind == FactKind::NoLongerVisible && fact.record == kNew;
  }));
}

TEST(RolloverPlanner, DeployAfterCrashIsPlannedAgainUntilRecorded) {
  RolloverInput input = renewal({kOld, kNew});
  RecordHistory history;
  history.record = kNew;
  history.longest_ttl_without = 3600s;
  history.visible_since = kStart - 3 * 3600s;
  input.services[0].owners[0].history = {history};
  EXPECT_EQ(actionsOf<Deploy>(planRollover(input)).size(), 1u);
  EXPECT_EQ(actionsOf<Deploy>(planRollover(input)).size(), 1u) << "pure: same input, same plan";
}

// Dual certificates (RSA + ECDSA): the candidate's records are the union of both, and a
// renewal changing one key waits the whole cache window for that key's record although the
// other key's record has been visible for long; afterwards only the changed key's old record
// goes.
TEST(RolloverPlanner, DualCertificateRenewalOfOneKeyWaitsAndRetiresOnlyThatKeysOldRecord) {
  const TlsaRecord kEcdsa = record(0x06);
  RolloverInput input = renewal({kOld, kEcdsa});
  ServiceState& service = input.services[0];
  service.deployed = {"dual-a", {kOld, kEcdsa}};
  service.candidate = {"dual-b", {kNew, kEcdsa}};
  service.owners[0].owned = {kOld, kEcdsa};
  // The ECDSA record has been visible everywhere for a day.
  mergeRecordFact(service.owners[0].history,
                  RecordFact{"mail", kOwner, kEcdsa, FactKind::VisibleSince, 0s, kStart - 24h});

  RolloverPlan plan = planRollover(input);
  const auto published = actionsOf<PublishRecords>(plan);
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].records, std::vector<TlsaRecord>{kNew});
  EXPECT_TRUE(actionsOf<Deploy>(plan).empty());
  recordFacts(input, plan);

  serveEverywhere(input, {kOld, kEcdsa, kNew}, 3600s);
  const Instant due = cacheWindowEnd(input);
  EXPECT_EQ(due, kStart + kObservingSecond + 2 * 3600s + 60s);
  input.now = due - 1s;
  EXPECT_TRUE(actionsOf<Deploy>(planRollover(input)).empty());
  input.now = due;
  plan = planRollover(input);
  ASSERT_EQ(actionsOf<Deploy>(plan).size(), 1u);
  EXPECT_EQ(actionsOf<Deploy>(plan)[0].candidate_id, "dual-b");

  // Deployed: the old RSA record alone is retired, the ECDSA record stays.
  service.deployed = service.candidate;
  service.owners[0].owned = {kOld, kEcdsa, kNew};
  plan = planRollover(input);
  const auto retired = actionsOf<RetireRecords>(plan);
  ASSERT_EQ(retired.size(), 1u);
  EXPECT_EQ(retired[0].records, std::vector<TlsaRecord>{kOld});
}

// An owner that is a CNAME to a shared RRset: records are planned at the target (OwnerState
// owner) and the cache window adds the CNAME's TTL to the RRset's.
TEST(RolloverPlanner, CnameTtlIsAddedToTheCacheWindowAtTheTarget) {
  const std::string target = "_dane.example.test.";
  RolloverInput input = renewal({kOld});
  OwnerState& state = input.services[0].owners[0];
  state.owner = target;
  state.aliases = {kOwner};
  state.cname_ttl = 600s;
  RolloverPlan plan = planRollover(input);
  const auto published = actionsOf<PublishRecords>(plan);
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].owner, target);
  recordFacts(input, plan);
  serveEverywhere(input, {kOld, kNew}, 3600s);
  const Instant due = cacheWindowEnd(input);
  EXPECT_EQ(due, kStart + kObservingSecond + 2 * (3600s + 600s) + 60s);
  EXPECT_TRUE(hasReasonContaining(
      planRollover(input).services[0],
      "old RRset TTL 3600 s + CNAME TTL (" + kOwner + ") 600 s = 4200 s x 2 + 60 s margin"));
  input.now = due - 1s;
  EXPECT_TRUE(actionsOf<Deploy>(planRollover(input)).empty());
  input.now = due;
  EXPECT_EQ(actionsOf<Deploy>(planRollover(input)).size(), 1u);
}

TEST(RolloverPlanner, WithoutACnameTheWindowIsUnchanged) {
  RolloverInput input = renewal({kOld});
  input.services[0].owners[0].aliases = {};
  input.services[0].owners[0].cname_ttl = 0s;
  recordFacts(input, planRollover(input));
  serveEverywhere(input, {kOld, kNew}, 3600s);
  EXPECT_EQ(cacheWindowEnd(input), kStart + kObservingSecond + 2 * 3600s + 60s);
  EXPECT_FALSE(hasReasonContaining(planRollover(input).services[0], "CNAME"));
}

TEST(RolloverPlanner, FormatsInstantsAsUtcIso8601) {
  EXPECT_EQ(formatInstant(sys_days{2026y / 11 / 26} + 3h), "2026-11-26T03:00:00Z");
  EXPECT_EQ(formatInstant(sys_days{2024y / 2 / 29} + 23h + 59min + 59s), "2024-02-29T23:59:59Z");
}

}  // namespace
}  // namespace daneguard
