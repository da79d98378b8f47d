#include "app/check/finding.hpp"

namespace daneguard::app::check {

std::string_view severityName(Severity severity) {
  switch (severity) {
    case Severity::Ok:
      return "ok";
    case Severity::Notice:
      return "notice";
    case Severity::Warning:
      return "warning";
    case Severity::Error:
      return "error";
  }
  return "error";
}

}  // namespace daneguard::app::check
