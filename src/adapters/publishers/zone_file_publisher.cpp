// Zone file publisher (see the header).
#include "adapters/publishers/zone_file_publisher.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "adapters/dns/dns_message.hpp"
#include "adapters/files/atomic_file.hpp"
#include "adapters/files/bounded_file.hpp"
#include "adapters/process/hook_program_check.hpp"
#include "adapters/publishers/prerequisite_check.hpp"
#include "adapters/publishers/zone_include_file.hpp"

namespace daneguard::adapters::publishers {
namespace {

namespace fs = std::filesystem;

/// The include as the file holds it now: missing and empty files are an empty include (an
/// operator may create the file empty so that the zone loads before daneguard first runs).
Result<ZoneInclude> readInclude(const fs::path& path) {
  std::error_code error;
  const auto status = fs::status(path, error);
  if (status.type() == fs::file_type::not_found) return ZoneInclude{};
  if (!error && status.type() == fs::file_type::regular && fs::file_size(path, error) == 0 &&
      !error)
    return ZoneInclude{};
  files::BoundedFileSpec spec;
  spec.max_bytes = std::size_t{16} * 1024 * 1024;
  spec.what = "zone include file";
  auto text = files::readBoundedFile(path, spec);
  if (!text) return fail(text.error());
  return parseZoneInclude(text->revealText(), path.string());
}

bool sameRecord(const IncludedRecord& included, const ports::TlsaRecordAt& wanted) {
  return included.owner == wanted.owner && included.record == wanted.record;
}

}  // namespace

ZoneFilePublisher::ZoneFilePublisher(std::string name, config::ZoneFilePublisher config,
                                     ports::HookRunner& runner, ports::DnsQuery& query)
    : name_(std::move(name)),
      who_(fmt::format("publisher '{}' (zone file {})", name_, config.file)),
      config_(std::move(config)),
      runner_(runner),
      query_(query) {}

Result<ports::UpdateOutcome> ZoneFilePublisher::apply(const ports::UpdateRequest& request) {
  const std::string context = fmt::format("{}, zone {}", who_, request.zone);
  auto include = readInclude(config_.file);
  if (!include) return fail(include.error().withContext(context));
  if (include->zone && *include->zone != request.zone) {
    return fail(ErrorKind::Config,
                fmt::format("{}: the file holds the records of zone {}; one include file serves "
                            "one zone, so configure a publisher per zone",
                            context, *include->zone));
  }
  for (const auto* list : {&request.additions, &request.deletions})
    for (const ports::TlsaRecordAt& record : *list)
      if (!dns::isAtOrBelow(record.owner, request.zone))
        return fail(ErrorKind::InvalidInput,
                    fmt::format("{}: {} is not in the zone", context, record.owner));
  if (auto held = checkPrerequisitesByQuery(query_, request.server, request.prerequisites, who_);
      !held)
    return fail(held.error());

  ZoneInclude updated = *include;
  updated.zone = request.zone;
  auto& records = updated.records;
  for (const ports::TlsaRecordAt& deletion : request.deletions)
    records.erase(
        std::remove_if(records.begin(), records.end(),
                       [&](const auto& included) { return sameRecord(included, deletion); }),
        records.end());
  for (const ports::TlsaRecordAt& addition : request.additions) {
    if (std::none_of(records.begin(), records.end(),
                     [&](const auto& included) { return sameRecord(included, addition); }))
      records.push_back(IncludedRecord{addition.owner, request.ttl_seconds, addition.record});
    for (IncludedRecord& included : records)
      if (included.owner == addition.owner) included.ttl = request.ttl_seconds;
  }

  const std::string text = formatZoneInclude(updated, name_);
  const std::string before = include->zone ? formatZoneInclude(*include, name_) : std::string();
  if (text != before || !fs::exists(config_.file)) {
    if (auto written = files::writeFileAtomically(config_.file, text, 0644); !written)
      return fail(written.error().withContext(context));
  }

  ports::HookInvocation reload;
  reload.label = fmt::format("{}: reload command", context);
  reload.argv = config_.reload;
  reload.timeout = config_.timeout;
  reload.environment.push_back(ports::HookVariable::plain("DANEGUARD_ZONE", request.zone));
  reload.environment.push_back(ports::HookVariable::plain("DANEGUARD_INCLUDE_FILE", config_.file));
  if (auto reloaded = runner_.run(reload); !reloaded)
    return fail(
        reloaded.error().withContext("the include file is written but the server has "
                                     "not loaded it"));
  return ports::UpdateOutcome{request.server, request.zone, request.additions.size(),
                              request.deletions.size(), false};
}

Result<std::string> ZoneFilePublisher::checkAccess(const ports::DnsServer& /*server*/,
                                                   const std::string& zone,
                                                   const std::vector<std::string>& /*owners*/) {
  const fs::path file(config_.file);
  const fs::path directory = file.parent_path();
  std::error_code error;
  if (!fs::is_directory(directory, error))
    return fail(ErrorKind::NotFound,
                fmt::format("{}: the directory {} does not exist", who_, directory.string()));
  if (::access(directory.c_str(), W_OK | X_OK) != 0)
    return fail(ErrorKind::Permission,
                fmt::format("{}: daneguard may not create files in {} (the include file is "
                            "replaced atomically, through a temporary file beside it)",
                            who_, directory.string()));
  auto include = readInclude(file);
  if (!include) return fail(include.error().withContext(who_));
  if (include->zone && *include->zone != zone)
    return fail(ErrorKind::Config, fmt::format("{}: the file holds the records of zone {}, not {}",
                                               who_, *include->zone, zone));
  if (auto usable = process::checkHookProgram(who_ + ": reload command", config_.reload.front());
      !usable)
    return fail(usable.error());
  return fmt::format(
      "{}: the include file {} and its directory are writable, and the reload "
      "command {} is executable and safe (zone {}; nothing was written or run)",
      who_, fs::exists(file) ? "is daneguard's" : "does not exist yet", config_.reload.front(),
      zone);
}

}  // namespace daneguard::adapters::publishers
