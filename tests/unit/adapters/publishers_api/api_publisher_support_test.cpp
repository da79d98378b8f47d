// The record-level merge shared by the HTTP API publishers: only our records change, others'
// (readable or not, disabled or not) stay; repeats are no-ops; prerequisites compare what is
// served; owner names relative to the zone.
#include "adapters/publishers/api_publisher_support.hpp"

#include <gtest/gtest.h>

#include "core/tlsa/tlsa_presentation.hpp"

namespace daneguard::adapters::publishers {
namespace {

const std::string kOwner = "_25._tcp.mail.example.test.";
TlsaRecord tlsa(char digit) {
  return parseTlsaRdata("3 1 1 " + std::string(64, digit)).value();
}

ProviderRecord held(const std::string& content, bool disabled = false) {
  ProviderRecord record;
  record.content = content;
  record.disabled = disabled;
  if (auto parsed = parseTlsaRdataFromDns(content)) record.parsed = *parsed;
  return record;
}

std::vector<std::string> contents(const RrsetChange& change) {
  std::vector<std::string> out;
  for (const KeptRecord& kept : change.contents)
    out.push_back(kept.content);
  return out;
}

TEST(MergeRrset, AddsAndDeletesOnlyOursAndKeepsOthersVerbatim) {
  ProviderRrset rrset{kOwner, true, 300, {}};
  rrset.records.push_back(
      held("3 1 1 " + std::string(64, 'A')));  // ours, upper case at the provider
  rrset.records.push_back(held("2 1 1 " + std::string(64, 'c')));  // someone else's
  rrset.records.push_back(held("3 1 1 zz-not-hex"));               // unreadable, kept
  const RrsetChange change = mergeRrset(rrset, {tlsa('b')}, {tlsa('a')});
  EXPECT_EQ(contents(change),
            (std::vector<std::string>{"2 1 1 " + std::string(64, 'c'), "3 1 1 zz-not-hex",
                                      formatTlsaRdata(tlsa('b'))}));
  EXPECT_EQ(change.added, std::vector<TlsaRecord>{tlsa('b')});
  ASSERT_EQ(change.removed.size(), 1u);
  EXPECT_EQ(change.removed[0], &rrset.records[0]);
}

TEST(MergeRrset, RepeatingAnAppliedChangeChangesNothing) {
  ProviderRrset rrset{kOwner, true, 300, {held(formatTlsaRdata(tlsa('b')))}};
  EXPECT_FALSE(mergeRrset(rrset, {tlsa('b')}, {tlsa('a')}).changed());
  ProviderRrset empty{kOwner, false, 0, {}};
  EXPECT_FALSE(mergeRrset(empty, {}, {tlsa('a')}).changed());
}

TEST(MergeRrset, ADisabledCopyOfARecordWeAddGivesWayToAServedOne) {
  ProviderRrset rrset{kOwner, true, 300, {held(formatTlsaRdata(tlsa('b')), true)}};
  const RrsetChange change = mergeRrset(rrset, {tlsa('b')}, {});
  ASSERT_EQ(change.contents.size(), 1u);
  EXPECT_FALSE(change.contents[0].disabled);
  EXPECT_EQ(change.added.size(), 1u);
  EXPECT_EQ(change.removed.size(), 1u);
}

TEST(CheckPrerequisites, ComparesServedRecordsIgnoringOrderAndDisabledOnes) {
  ProviderRrset rrset{kOwner,
                      true,
                      300,
                      {held(formatTlsaRdata(tlsa('a'))), held(formatTlsaRdata(tlsa('b'))),
                       held(formatTlsaRdata(tlsa('c')), true)}};
  ports::UpdateRequest request;
  request.prerequisites.push_back(
      {ports::UpdatePrerequisite::Kind::TlsaRrsetEquals, kOwner, {tlsa('b'), tlsa('a')}});
  EXPECT_TRUE(checkPrerequisites(request, rrset));
  request.prerequisites[0].records = {tlsa('a')};
  const auto differs = checkPrerequisites(request, rrset);
  ASSERT_FALSE(differs);
  EXPECT_EQ(differs.error().kind, ErrorKind::PreconditionFailed);
  request.prerequisites[0] = {ports::UpdatePrerequisite::Kind::TlsaRrsetAbsent, kOwner, {}};
  EXPECT_FALSE(checkPrerequisites(request, rrset));
  ProviderRrset only_disabled{kOwner, true, 300, {held(formatTlsaRdata(tlsa('c')), true)}};
  EXPECT_TRUE(checkPrerequisites(request, only_disabled)) << "nothing served means absent";
}

TEST(Names, RelativeToTheZone) {
  EXPECT_EQ(relativeName("_25._tcp.Mail.Example.Test.", "example.test"), "_25._tcp.mail");
  EXPECT_EQ(relativeName("example.test.", "example.test."), "");
  EXPECT_EQ(relativeName("mail.badexample.test.", "example.test."), std::nullopt);
  EXPECT_EQ(relativeName("mail.other.test.", "example.test."), std::nullopt);
  EXPECT_EQ(percentEncode("example.test."), "example.test.");
  EXPECT_EQ(percentEncode("a b/c=?"), "a%20b%2Fc%3D%3F");
}

}  // namespace
}  // namespace daneguard::adapters::publishers
