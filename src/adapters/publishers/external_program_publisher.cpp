// External-program publisher (see the header).
#include "adapters/publishers/external_program_publisher.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "adapters/process/hook_program_check.hpp"
#include "adapters/publishers/prerequisite_check.hpp"
#include "core/hex.hpp"

namespace daneguard::adapters::publishers {
namespace {

std::string withoutTrailingDot(std::string name) {
  if (name.size() > 1 && name.back() == '.') name.pop_back();
  return name;
}

bool isDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string digit(auto value) {
  return std::to_string(static_cast<unsigned>(value));
}

std::string parametersText(const TlsaRecord& record) {
  return digit(record.parameters.usage) + " " + digit(record.parameters.selector) + " " +
         digit(record.parameters.matching_type);
}

}  // namespace

Result<TlsaOwnerParts> splitTlsaOwner(const std::string& owner) {
  const auto bad = [&] {
    return fail(ErrorKind::InvalidInput,
                "'" + owner + "' is not a TLSA owner name of the form _<port>._<protocol>.<host>");
  };
  const auto first_dot = owner.find('.');
  if (owner.size() < 2 || owner.front() != '_' || first_dot == std::string::npos) return bad();
  const auto second_dot = owner.find('.', first_dot + 1);
  if (second_dot == std::string::npos || owner[first_dot + 1] != '_') return bad();
  TlsaOwnerParts parts;
  parts.port = owner.substr(1, first_dot - 1);
  parts.protocol = owner.substr(first_dot + 2, second_dot - first_dot - 2);
  parts.domain = withoutTrailingDot(owner.substr(second_dot + 1));
  if (!isDigits(parts.port) || parts.protocol.empty() || parts.domain.empty() ||
      parts.domain == ".")
    return bad();
  return parts;
}

ExternalProgramPublisher::ExternalProgramPublisher(std::string name,
                                                   config::ExternalProgramPublisher config,
                                                   ports::HookRunner& runner,
                                                   ports::DnsQuery& query)
    : name_(std::move(name)),
      who_(fmt::format("publisher '{}' (external program {})", name_, config.command.front())),
      config_(std::move(config)),
      runner_(runner),
      query_(query) {}

Result<ExternalProgramPublisher::Answer> ExternalProgramPublisher::run(
    const std::string& operation, const ports::TlsaRecordAt& record, const std::string& zone,
    std::uint32_t ttl, const std::string* live_hash) {
  auto parts = splitTlsaOwner(record.owner);
  if (!parts) return fail(parts.error().withContext(who_));
  const TlsaParameters& parameters = record.record.parameters;
  const std::string usage = digit(parameters.usage);
  const std::string selector = digit(parameters.selector);
  const std::string matching = digit(parameters.matching_type);
  const std::string hash = toHex(record.record.data);

  ports::HookInvocation invocation;
  invocation.label = fmt::format("publisher '{}' ({} {} {} {} {}... at {})", name_, operation,
                                 usage, selector, matching, hash.substr(0, 16), record.owner);
  invocation.argv = config_.command;
  invocation.timeout = config_.timeout;
  const std::pair<const char*, std::string> variables[] = {
      {"TLSA_OPERATION", operation},
      {"TLSA_USAGE", usage},
      {"TLSA_SELECTOR", selector},
      {"TLSA_MATCHING", matching},
      {"TLSA_PARAM", usage + selector + matching},
      {"TLSA_PORT", parts->port},
      {"TLSA_PROTOCOL", parts->protocol},
      {"TLSA_DOMAIN", parts->domain},
      {"TLSA_HASH", hash},
      {"ZONE_DOMAIN", withoutTrailingDot(zone)},
      {"TLSA_TTL", std::to_string(ttl)},
  };
  for (const auto& [variable, value] : variables)
    invocation.environment.push_back(ports::HookVariable::plain(variable, value));
  if (live_hash != nullptr)
    invocation.environment.push_back(ports::HookVariable::plain("TLSA_LIVE_HASH", *live_hash));

  invocation.accepted_exit_statuses = {1};  // "already published" / "new record not up yet"
  auto outcome = runner_.run(invocation);
  if (!outcome) return fail(outcome.error().withContext(fmt::format("zone {}", zone)));
  return outcome->exit_status == 1 ? Answer::AlreadyOrNotYet : Answer::Done;
}

Result<ports::UpdateOutcome> ExternalProgramPublisher::apply(const ports::UpdateRequest& request) {
  if (auto held = checkPrerequisitesByQuery(query_, request.server, request.prerequisites, who_);
      !held)
    return fail(held.error());
  ports::UpdateOutcome outcome{request.server, request.zone, 0, 0, false};
  for (const ports::TlsaRecordAt& addition : request.additions) {
    auto answer = run("publish", addition, request.zone, request.ttl_seconds, nullptr);
    if (!answer) return fail(answer.error());
    ++outcome.added;  // 1 ("already published") counts too: the record is there either way
  }
  for (const ports::TlsaRecordAt& deletion : request.deletions) {
    // Alnitak's conditional delete: name a record with the same parameters that stays.
    auto served = tlsaRecordsAt(query_, request.server, deletion.owner, who_);
    if (!served) return fail(served.error());
    std::optional<std::string> live_hash;
    for (const TlsaRecord& record : *served) {
      const bool leaving =
          std::any_of(request.deletions.begin(), request.deletions.end(), [&](const auto& other) {
            return other.owner == deletion.owner && other.record == record;
          });
      if (!leaving && record.parameters == deletion.record.parameters) {
        live_hash = toHex(record.data);
        break;
      }
    }
    auto answer = run("delete", deletion, request.zone, request.ttl_seconds,
                      live_hash ? &*live_hash : nullptr);
    if (!answer) return fail(answer.error());
    if (*answer == Answer::AlreadyOrNotYet) {
      return fail(ErrorKind::Transient,
                  fmt::format("{}: zone {}: the program answered 1 (\"new record not up yet\") "
                              "to deleting {} {} at {}; the old record stays and the next run "
                              "tries again",
                              who_, request.zone, parametersText(deletion.record),
                              toHex(deletion.record.data).substr(0, 16) + "...", deletion.owner));
    }
    ++outcome.deleted;
  }
  return outcome;
}

Result<std::string> ExternalProgramPublisher::checkAccess(const ports::DnsServer& /*server*/,
                                                          const std::string& zone,
                                                          const std::vector<std::string>& owners) {
  if (auto usable = process::checkHookProgram(who_, config_.command.front()); !usable)
    return fail(usable.error());
  for (const std::string& owner : owners)
    if (auto parts = splitTlsaOwner(owner); !parts) return fail(parts.error().withContext(who_));
  return fmt::format(
      "{}: the program exists, is executable and only root or daneguard's user "
      "can replace it (zone {}; it is not run by the check, so its own "
      "credentials are not tested)",
      who_, zone);
}

}  // namespace daneguard::adapters::publishers
