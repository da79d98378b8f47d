// Error values for expected failures (bad input, DNS refusals, hook failures, ...).
//
// Every fallible function returns Result<T>. An Error carries an operator-readable message
// that already names the file, server or key involved, and a kind from which the retry policy
// and the process exit code derive (docs/exit-codes.md). Messages must never contain secrets.
// Exceptions are not used for expected failures; adapters over throwing libraries catch at
// their edge and convert.
#pragma once

#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace daneguard {

enum class ErrorKind {
  Usage,               // bad command line
  InvalidInput,        // malformed certificate, key, TLSA text, ...
  Config,              // configuration file problems
  NotFound,            // a file or object that should exist does not
  Permission,          // the OS refused access
  Transient,           // may succeed on retry: timeouts, SERVFAIL, busy lock
  Ambiguous,           // outcome unknown (timeout after an UPDATE was sent): re-observe first
  PreconditionFailed,  // compare-and-swap lost: someone else changed the data
  Rejected,            // a server, hook or CA said no (REFUSED, NOTZONE, hook exit != 0)
  AuthFailure,         // TSIG BADKEY/BADSIG, API token rejected
  ClockSkew,           // TSIG BADTIME
  ProtocolViolation,   // a peer sent something malformed
  VerificationFailed,  // DANE authentication or a consistency check failed
  Internal,            // a bug in daneguard
};

std::string_view errorKindName(ErrorKind kind);

struct Error {
  ErrorKind kind;
  std::string message;

  /// Prefixes the message with where it happened, e.g. "reading /etc/x.pem: ...".
  [[nodiscard]] Error withContext(std::string_view context) const&;
  [[nodiscard]] Error withContext(std::string_view context) &&;
};

template <class T>
using Result = tl::expected<T, Error>;

/// `return fail(ErrorKind::InvalidInput, "...");` from any function returning Result<T>.
inline tl::unexpected<Error> fail(ErrorKind kind, std::string message) {
  return tl::unexpected<Error>(Error{kind, std::move(message)});
}
inline tl::unexpected<Error> fail(Error error) {
  return tl::unexpected<Error>(std::move(error));
}

/// Process exit status for an error of this kind (sysexits.h values, see docs/exit-codes.md).
int exitCodeFor(ErrorKind kind);

}  // namespace daneguard
