#include "core/error.hpp"

namespace daneguard {

std::string_view errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Usage:
      return "usage";
    case ErrorKind::InvalidInput:
      return "invalid-input";
    case ErrorKind::Config:
      return "config";
    case ErrorKind::NotFound:
      return "not-found";
    case ErrorKind::Permission:
      return "permission";
    case ErrorKind::Transient:
      return "transient";
    case ErrorKind::Ambiguous:
      return "ambiguous";
    case ErrorKind::PreconditionFailed:
      return "precondition-failed";
    case ErrorKind::Rejected:
      return "rejected";
    case ErrorKind::AuthFailure:
      return "auth-failure";
    case ErrorKind::ClockSkew:
      return "clock-skew";
    case ErrorKind::ProtocolViolation:
      return "protocol-violation";
    case ErrorKind::VerificationFailed:
      return "verification-failed";
    case ErrorKind::Internal:
      return "internal";
  }
  return "internal";
}

Error Error::withContext(std::string_view context) const& {
  return Error{kind, std::string(context) + ": " + message};
}

Error Error::withContext(std::string_view context) && {
  message.insert(0, std::string(context) + ": ");
  return std::move(*this);
}

// sysexits.h values: cron, systemd and Postfix-style wrappers already understand them.
int exitCodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Usage:
      return 64;  // EX_USAGE
    case ErrorKind::InvalidInput:
      return 65;  // EX_DATAERR
    case ErrorKind::NotFound:
      return 66;  // EX_NOINPUT
    case ErrorKind::Rejected:
      return 69;  // EX_UNAVAILABLE
    case ErrorKind::ProtocolViolation:
      return 76;  // EX_PROTOCOL
    case ErrorKind::Internal:
      return 70;  // EX_SOFTWARE
    case ErrorKind::Transient:
      return 75;  // EX_TEMPFAIL
    case ErrorKind::Ambiguous:
      return 75;  // EX_TEMPFAIL: rerun re-observes
    case ErrorKind::PreconditionFailed:
      return 75;  // EX_TEMPFAIL: rerun re-plans
    case ErrorKind::ClockSkew:
      return 75;  // EX_TEMPFAIL
    case ErrorKind::Permission:
      return 77;  // EX_NOPERM
    case ErrorKind::AuthFailure:
      return 77;  // EX_NOPERM
    case ErrorKind::Config:
      return 78;  // EX_CONFIG
    case ErrorKind::VerificationFailed:
      return 1;  // a check ran and said no
  }
  return 70;
}

}  // namespace daneguard
