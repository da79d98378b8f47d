#include "core/tlsa/tlsa_match.hpp"

#include <algorithm>
#include <map>

#include "core/tlsa/tlsa_compute.hpp"
#include "core/tlsa/tlsa_presentation.hpp"

namespace daneguard {
namespace {

std::optional<std::size_t> matchingDepth(const CertificateChain& served, const TlsaRecord& record) {
  const TlsaParameters& p = record.parameters;
  const bool end_entity = p.usage == TlsaUsage::PkixEe || p.usage == TlsaUsage::DaneEe;
  const std::size_t first = end_entity ? 0 : 1;
  const std::size_t end = end_entity ? std::min<std::size_t>(1, served.certificates.size())
                                     : served.certificates.size();
  for (std::size_t depth = first; depth < end; ++depth) {
    const auto data = tlsaAssociationData(served.certificates[depth], p.selector, p.matching_type);
    if (data && *data == record.data) return depth;
  }
  return std::nullopt;
}

}  // namespace

std::size_t TlsaMatchReport::unusableCount() const {
  return static_cast<std::size_t>(std::count_if(records.begin(), records.end(), [](const auto& r) {
    return r.status == TlsaRecordStatus::Unusable;
  }));
}

TlsaMatchReport matchTlsaRecords(const CertificateChain& served,
                                 std::span<const TlsaRecord> rrset) {
  TlsaMatchReport report;
  std::map<TlsaParameters, TlsaCombinationMatch> combinations;
  bool any_dane_match = false;
  for (const TlsaRecord& record : rrset) {
    TlsaRecordMatch match{record, TlsaRecordStatus::NoMatch, std::nullopt,
                          tlsaRecordDefect(record)};
    if (!match.defect.empty()) {
      match.status = TlsaRecordStatus::Unusable;
      report.records.push_back(std::move(match));
      continue;
    }
    auto& combination = combinations[record.parameters];
    combination.parameters = record.parameters;
    ++combination.record_count;
    match.depth = matchingDepth(served, record);
    if (match.depth) {
      match.status = TlsaRecordStatus::Matches;
      ++combination.matching_count;
      report.authenticates = true;
      const TlsaUsage usage = record.parameters.usage;
      if (usage == TlsaUsage::DaneTa || usage == TlsaUsage::DaneEe) any_dane_match = true;
    }
    report.records.push_back(std::move(match));
  }
  report.needs_pkix_validation = report.authenticates && !any_dane_match;
  report.all_combinations_match = !combinations.empty();
  for (auto& [parameters, combination] : combinations) {
    if (!combination.matches()) report.all_combinations_match = false;
    report.combinations.push_back(combination);
  }
  return report;
}

}  // namespace daneguard
