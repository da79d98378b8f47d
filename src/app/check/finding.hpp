// What `daneguard check` reports: one finding per problem, each naming the service and the
// thing concerned and suggesting a fix. Checks live beside this header (one file per area:
// DNSSEC and TLSA rules, certificate sources, publisher credentials) and all return findings,
// so the command only collects, prints and turns the worst severity into an exit code.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace daneguard::app::check {

enum class Severity {
  Ok,       // a check that passed, shown with -v so the operator sees what was covered
  Notice,   // worth knowing, nothing breaks ("next key not staged")
  Warning,  // works now, will break or is fragile ("3 0 1 with a renewing CA")
  Error,    // broken now or a DANE outage is likely ("zone unsigned", "no record matches")
};

/// "ok", "notice", "warning", "error".
std::string_view severityName(Severity severity);

struct Finding {
  Severity severity = Severity::Ok;
  std::string service;  // empty for findings about the configuration as a whole
  std::string subject;  // what it is about: an owner name, an endpoint, a file, a publisher
  std::string message;  // what is wrong (or what was checked, for Ok)
  std::string fix;      // what to do about it; empty for Ok
};

using Findings = std::vector<Finding>;

}  // namespace daneguard::app::check
