// Reads daneguard's TOML configuration (docs/configuration.md) into config::Config.
//
// Strict on purpose: unknown keys, wrong types, missing keys and bad values are all errors,
// each reported as "<file>:<line>:<column>: <key path>: <problem>", every error found (up to a
// cap) in file order, so one edit-run cycle fixes them all. Errors never echo secret values.
// toml++ throws; nothing escapes from here.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/config/config.hpp"
#include "core/error.hpp"

namespace daneguard::adapters::config_toml {

/// Parses and validates `text`; `source_name` (usually the path) prefixes every message.
/// All failures are ErrorKind::Config, one problem per line.
Result<config::Config> parseConfigText(std::string_view text, std::string_view source_name);

/// Reads `path` (at most 1 MiB) and parses it. A missing file is NotFound, an unreadable one
/// Permission; a directory, an oversized file or any content problem is Config.
Result<config::Config> loadConfigFile(const std::filesystem::path& path);

}  // namespace daneguard::adapters::config_toml
