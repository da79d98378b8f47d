#include "core/rollover/rollover_input.hpp"

#include <algorithm>

#include "core/rollover/rollover_plan.hpp"

namespace daneguard {

std::string AuthoritativeServer::describe() const {
  return name + " (" + address + ")";
}

ServerAnswer ServerAnswer::rrset(AuthoritativeServer server, std::vector<TlsaRecord> records,
                                 Duration ttl) {
  return ServerAnswer{.server = std::move(server),
                      .kind = AnswerKind::Rrset,
                      .records = std::move(records),
                      .ttl = ttl,
                      .failure = {}};
}

ServerAnswer ServerAnswer::noRrset(AuthoritativeServer server) {
  ServerAnswer answer;
  answer.server = std::move(server);
  answer.kind = AnswerKind::NoRrset;
  return answer;
}

ServerAnswer ServerAnswer::failed(AuthoritativeServer server, std::string failure) {
  return ServerAnswer{.server = std::move(server),
                      .kind = AnswerKind::QueryFailed,
                      .records = {},
                      .ttl = Duration{0},
                      .failure = std::move(failure)};
}

bool ServerAnswer::serves(const TlsaRecord& record) const {
  return kind == AnswerKind::Rrset && std::ranges::find(records, record) != records.end();
}

std::string_view phaseName(Phase phase) {
  switch (phase) {
    case Phase::Idle:
      return "Idle";
    case Phase::Publishing:
      return "Publishing";
    case Phase::AwaitingVisibility:
      return "AwaitingVisibility";
    case Phase::AwaitingCacheExpiry:
      return "AwaitingCacheExpiry";
    case Phase::Deploying:
      return "Deploying";
    case Phase::Verifying:
      return "Verifying";
    case Phase::Retiring:
      return "Retiring";
    case Phase::Blocked:
      return "Blocked";
  }
  return "?";
}

}  // namespace daneguard
