// The planner's probe facts: a candidate already served skips the hook, Verify waits for the
// candidate's records on every server, and nothing is retired before verification succeeded.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/rollover/rollover_planner.hpp"

namespace daneguard {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_days;

const Instant kStart = sys_days{2026y / 11 / 26} + 0s;
const AuthoritativeServer kNs1{"ns1.example.test", "127.0.0.2"};
const AuthoritativeServer kNs2{"ns2.example.test", "127.0.0.3"};
const std::string kOwner = "_25._tcp.mail.example.test.";

TlsaRecord record(std::uint8_t tag) {
  return TlsaRecord{TlsaParameters{TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha256},
                    Bytes(32, tag)};
}
const TlsaRecord kOld = record(0x01);
const TlsaRecord kNew = record(0x02);

/// cert-old deployed and published; cert-new is the candidate; ns1 and ns2 serve `served`.
RolloverInput renewal(const std::vector<TlsaRecord>& served) {
  ServiceState service;
  service.name = "mail";
  service.deployed = {"cert-old", {kOld}};
  service.candidate = {"cert-new", {kNew}};
  OwnerState owner;
  owner.owner = kOwner;
  owner.soa = SoaFacts{300s, 3600s};
  owner.answers = {ServerAnswer::rrset(kNs1, served, 3600s),
                   ServerAnswer::rrset(kNs2, served, 3600s)};
  owner.owned = {kOld};
  service.owners.push_back(owner);
  RolloverInput input{{service}, RolloverPolicy{}, kStart};
  input.policy.verify_after_deploy = true;
  return input;
}

template <class T>
std::vector<T> actionsOf(const RolloverPlan& plan) {
  std::vector<T> found;
  for (const RolloverAction& action : plan.actions)
    if (const T* typed = std::get_if<T>(&action)) found.push_back(*typed);
  return found;
}

TEST(RolloverProbePlanner, CandidateAlreadyServedIsRecordedWithoutTheHookAndRecordsReconciled) {
  RolloverInput input = renewal({kOld});
  input.services[0].served_id = "cert-new";
  const RolloverPlan plan = planRollover(input);
  const auto deploys = actionsOf<Deploy>(plan);
  ASSERT_EQ(deploys.size(), 1u);
  EXPECT_TRUE(deploys[0].already_served);
  EXPECT_EQ(deploys[0].candidate_id, "cert-new");
  const auto published = actionsOf<PublishRecords>(plan);
  ASSERT_EQ(published.size(), 1u) << "the candidate's records are still published";
  EXPECT_EQ(published[0].records, std::vector<TlsaRecord>{kNew});
  EXPECT_TRUE(actionsOf<RetireRecords>(plan).empty());
}

TEST(RolloverProbePlanner, ServedOtherCertificateDoesNotSkipTheWait) {
  RolloverInput input = renewal({kOld});
  input.services[0].served_id = "cert-old";
  const RolloverPlan plan = planRollover(input);
  EXPECT_TRUE(actionsOf<Deploy>(plan).empty());
  EXPECT_EQ(plan.services[0].phase, Phase::Publishing);
}

TEST(RolloverProbePlanner, WithoutServedFactTheHookRunsAsBefore) {
  // Key reuse deploys at once: the hook (already_served false) is what installs it.
  RolloverInput input = renewal({kOld});
  input.services[0].candidate.records = {kOld};
  const auto deploys = actionsOf<Deploy>(planRollover(input));
  ASSERT_EQ(deploys.size(), 1u);
  EXPECT_FALSE(deploys[0].already_served);
}

TEST(RolloverProbePlanner, VerifyWaitsUntilEveryServerServesTheCandidateRecords) {
  RolloverInput input = renewal({kOld, kNew});
  input.services[0].deployed = input.services[0].candidate;
  input.services[0].owners[0].owned = {kOld, kNew};
  input.services[0].owners[0].answers[1] = ServerAnswer::rrset(kNs2, {kOld}, 3600s);
  RolloverPlan plan = planRollover(input);
  EXPECT_TRUE(actionsOf<Verify>(plan).empty());
  EXPECT_TRUE(actionsOf<RetireRecords>(plan).empty());
  EXPECT_EQ(plan.services[0].phase, Phase::Verifying);
  EXPECT_TRUE(plan.next_due.has_value()) << "it polls until the servers catch up";
  EXPECT_TRUE(std::ranges::any_of(plan.services[0].reasons, [](const std::string& reason) {
    return reason.find("ns2.example.test (127.0.0.3)") != std::string::npos;
  }));
  input.services[0].owners[0].answers[1] = ServerAnswer::rrset(kNs2, {kOld, kNew}, 3600s);
  plan = planRollover(input);
  EXPECT_EQ(actionsOf<Verify>(plan).size(), 1u);
}

TEST(RolloverProbePlanner, FailedVerificationIsPlannedAgainAndNothingIsRetired) {
  RolloverInput input = renewal({kOld, kNew});
  input.services[0].deployed = input.services[0].candidate;
  input.services[0].owners[0].owned = {kOld, kNew};
  // A failed probe records nothing, so the next run sees the same input: verify again.
  for (int run = 0; run < 2; ++run) {
    const RolloverPlan plan = planRollover(input);
    EXPECT_EQ(actionsOf<Verify>(plan).size(), 1u);
    EXPECT_TRUE(actionsOf<RetireRecords>(plan).empty());
  }
  input.services[0].verified_id = "cert-old";  // an earlier certificate's verification
  EXPECT_TRUE(actionsOf<RetireRecords>(planRollover(input)).empty());
  input.services[0].verified_id = "cert-new";
  const auto retired = actionsOf<RetireRecords>(planRollover(input));
  ASSERT_EQ(retired.size(), 1u);
  EXPECT_EQ(retired[0].records, std::vector<TlsaRecord>{kOld});
}

}  // namespace
}  // namespace daneguard
