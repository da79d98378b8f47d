// How a subcommand plugs into main(): it registers its options on a CLI11 subcommand and
// returns the action to run once parsing succeeded. Actions return Result so that main() alone
// turns errors into one stderr line and an exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "core/error.hpp"

namespace daneguard::cli {

/// Ok(exit status) for commands whose success has degrees (verify: 0 or 1), or an Error.
using CommandAction = std::function<Result<int>()>;

/// Each command's registration function; the returned action may only be called after parsing.
using CommandRegistration = CommandAction (*)(CLI::App& parent);

CommandAction registerTlsaCommand(CLI::App& parent);
CommandAction registerCheckConfigCommand(CLI::App& parent);
CommandAction registerDemoCommand(CLI::App& parent);

}  // namespace daneguard::cli
