#include "core/rollover/record_history.hpp"

#include <gtest/gtest.h>

namespace daneguard {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_days;

const TlsaRecord kRecord{TlsaParameters{}, Bytes(32, 0xab)};

RecordFact fact(FactKind kind, std::chrono::seconds ttl, std::chrono::sys_seconds at) {
  return RecordFact{"mail", "_25._tcp.mx.example.test.", kRecord, kind, ttl, at};
}

TEST(RecordHistory, ExposureKeepsTheLongestTtlSeen) {
  std::vector<RecordHistory> histories;
  const auto t = sys_days{2026y / 1 / 1} + 0s;
  mergeRecordFact(histories, fact(FactKind::SeenLackingInRrset, 300s, t));
  mergeRecordFact(histories, fact(FactKind::SeenLackingInRrset, 3600s, t));
  mergeRecordFact(histories, fact(FactKind::SeenLackingInRrset, 60s, t));
  mergeRecordFact(histories, fact(FactKind::SeenLackingNoRrset, 900s, t));
  ASSERT_EQ(histories.size(), 1u);
  EXPECT_EQ(histories[0].longest_ttl_without, 3600s);
  EXPECT_EQ(histories[0].negative_ttl_without, 900s);
}

TEST(RecordHistory, FirstInstantWinsSoReplayAfterACrashChangesNothing) {
  std::vector<RecordHistory> histories;
  const auto t = sys_days{2026y / 1 / 1} + 0s;
  mergeRecordFact(histories, fact(FactKind::MissingSince, 0s, t));
  mergeRecordFact(histories, fact(FactKind::MissingSince, 0s, t + 60s));
  EXPECT_EQ(histories[0].missing_since, t);
  mergeRecordFact(histories, fact(FactKind::VisibleSince, 0s, t + 120s));
  mergeRecordFact(histories, fact(FactKind::VisibleSince, 0s, t + 180s));
  EXPECT_EQ(histories[0].visible_since, t + 120s);
  EXPECT_FALSE(histories[0].missing_since) << "visibility ends the propagation timeout";
}

TEST(RecordHistory, LosingVisibilityRestartsTheWindow) {
  std::vector<RecordHistory> histories;
  const auto t = sys_days{2026y / 1 / 1} + 0s;
  mergeRecordFact(histories, fact(FactKind::VisibleSince, 0s, t));
  mergeRecordFact(histories, fact(FactKind::NoLongerVisible, 0s, t + 10s));
  EXPECT_FALSE(histories[0].visible_since);
  mergeRecordFact(histories, fact(FactKind::VisibleSince, 0s, t + 20s));
  EXPECT_EQ(histories[0].visible_since, t + 20s);
  EXPECT_EQ(findHistory(histories, kRecord), &histories[0]);
  EXPECT_EQ(findHistory(histories, TlsaRecord{}), nullptr);
}

}  // namespace
}  // namespace daneguard
