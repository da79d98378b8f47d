// Prerequisites evaluated by query (see the header).
#include "adapters/publishers/prerequisite_check.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/tlsa/tlsa_presentation.hpp"

namespace daneguard::adapters::publishers {
namespace {

using ports::DnsRcode;
using ports::DnsType;
using Kind = ports::UpdatePrerequisite::Kind;

struct OwnerState {
  bool name_exists = false;
  std::vector<TlsaRecord> tlsa;
};

Result<OwnerState> observe(ports::DnsQuery& query, const ports::DnsServer& server,
                           const std::string& owner, std::string_view who) {
  auto answer = query.query(server, owner, DnsType::TLSA);
  if (!answer)
    return fail(answer.error().withContext(
        fmt::format("{}: reading TLSA {} at {}", who, owner, server.toString())));
  if (!answer->authoritative ||
      (answer->rcode != DnsRcode::NoError && answer->rcode != DnsRcode::NxDomain)) {
    return fail(ErrorKind::Transient,
                fmt::format("{}: {} answered {}{} for TLSA {}; it must answer authoritatively for "
                            "the zone (check dns_server)",
                            who, server.toString(), rcodeName(answer->rcode),
                            answer->authoritative ? "" : " without AA", owner));
  }
  OwnerState state;
  state.name_exists = answer->rcode == DnsRcode::NoError;
  state.tlsa = answer->tlsaRecords(owner);
  std::sort(state.tlsa.begin(), state.tlsa.end());
  return state;
}

std::string describe(const std::vector<TlsaRecord>& records) {
  if (records.empty()) return "no TLSA records";
  std::string out;
  for (const TlsaRecord& record : records)
    out += (out.empty() ? "" : ", ") + formatTlsaRdata(record).substr(0, 22) + "...";
  return out;
}

}  // namespace

Result<std::vector<TlsaRecord>> tlsaRecordsAt(ports::DnsQuery& query,
                                              const ports::DnsServer& server,
                                              const std::string& owner, std::string_view who) {
  auto state = observe(query, server, owner, who);
  if (!state) return fail(state.error());
  return state->tlsa;
}

Result<void> checkPrerequisitesByQuery(ports::DnsQuery& query, const ports::DnsServer& server,
                                       const std::vector<ports::UpdatePrerequisite>& prerequisites,
                                       std::string_view who) {
  for (const ports::UpdatePrerequisite& prerequisite : prerequisites) {
    auto state = observe(query, server, prerequisite.owner, who);
    if (!state) return fail(state.error());
    std::string broken;
    switch (prerequisite.kind) {
      case Kind::TlsaRrsetEquals: {
        std::vector<TlsaRecord> expected = prerequisite.records;
        std::sort(expected.begin(), expected.end());
        expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
        auto seen = state->tlsa;
        seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
        if (seen != expected)
          broken = fmt::format("expected exactly {}, found {}", describe(expected), describe(seen));
        break;
      }
      case Kind::TlsaRrsetExists:
        if (state->tlsa.empty()) broken = "expected a TLSA RRset, found none";
        break;
      case Kind::TlsaRrsetAbsent:
        if (!state->tlsa.empty())
          broken = fmt::format("expected no TLSA RRset, found {}", describe(state->tlsa));
        break;
      case Kind::NameInUse:
        if (!state->name_exists) broken = "expected the name to exist (NXDOMAIN)";
        break;
      case Kind::NameNotInUse:
        if (state->name_exists) broken = "expected the name not to exist";
        break;
    }
    if (!broken.empty()) {
      return fail(ErrorKind::PreconditionFailed,
                  fmt::format("{}: prerequisite failed at {} for {}: {} (the records changed "
                              "since daneguard looked; nothing was written)",
                              who, server.toString(), prerequisite.owner, broken));
    }
  }
  return {};
}

}  // namespace daneguard::adapters::publishers
