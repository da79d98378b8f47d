#include "core/rollover/record_history.hpp"

#include <algorithm>
#include <utility>

namespace daneguard {
namespace {

RecordHistory& historyFor(std::vector<RecordHistory>& histories, const TlsaRecord& record) {
  auto found = std::ranges::find(histories, record, &RecordHistory::record);
  if (found != histories.end()) return *found;
  RecordHistory fresh;
  fresh.record = record;
  histories.push_back(std::move(fresh));
  return histories.back();
}

void keepLonger(std::optional<std::chrono::seconds>& kept, std::chrono::seconds seen) {
  if (!kept || *kept < seen) kept = seen;
}

}  // namespace

void mergeRecordFact(std::vector<RecordHistory>& histories, const RecordFact& fact) {
  RecordHistory& history = historyFor(histories, fact.record);
  switch (fact.kind) {
    case FactKind::SeenLackingInRrset:
      keepLonger(history.longest_ttl_without, fact.ttl);
      break;
    case FactKind::SeenLackingNoRrset:
      keepLonger(history.negative_ttl_without, fact.ttl);
      break;
    case FactKind::MissingSince:
      if (!history.missing_since) history.missing_since = fact.at;
      break;
    case FactKind::VisibleSince:
      if (!history.visible_since) history.visible_since = fact.at;
      history.missing_since.reset();
      break;
    case FactKind::NoLongerVisible:
      history.visible_since.reset();
      break;
  }
}

const RecordHistory* findHistory(const std::vector<RecordHistory>& histories,
                                 const TlsaRecord& record) {
  auto found = std::ranges::find(histories, record, &RecordHistory::record);
  return found == histories.end() ? nullptr : &*found;
}

}  // namespace daneguard
