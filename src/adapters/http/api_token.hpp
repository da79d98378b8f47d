// API tokens and keys for the provider publishers, read from a file or an environment variable
// into SecretBytes. The value never appears in a message; errors name only where it was looked
// for.
#pragma once

#include <string>

#include "core/error.hpp"
#include "core/secret.hpp"

namespace daneguard::adapters::http {

/// The file's content without surrounding white space (editors add a final newline). Refuses an
/// empty file and one with several lines or inner white space (likely the wrong file).
Result<SecretBytes> readTokenFile(const std::string& path);
/// The variable's value, trimmed likewise; Config error when it is unset or empty.
Result<SecretBytes> readTokenEnvironment(const std::string& variable);

}  // namespace daneguard::adapters::http
