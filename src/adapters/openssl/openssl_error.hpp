// Turns OpenSSL's thread-local error queue into an operator-readable Error.
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace daneguard::adapters::openssl {

/// Drains the error queue and returns its reasons joined by "; " ("" when it was empty).
std::string drainOpensslErrors();

/// Error{kind, "<what>: <OpenSSL reasons>"}; the queue is empty afterwards.
Error opensslError(ErrorKind kind, std::string_view what);

}  // namespace daneguard::adapters::openssl
