// Errors from failed system calls, with the path and the errno text, and a kind that tells
// "missing" and "not allowed" from the rest.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/error.hpp"

namespace daneguard::adapters::files {

/// Error for `what` on `path` that failed with `error_number` ("<path>: cannot <what>: <reason>").
Error systemError(const std::filesystem::path& path, std::string_view what, int error_number);

}  // namespace daneguard::adapters::files
