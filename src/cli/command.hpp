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
CommandAction registerRunCommand(CLI::App& parent);
CommandAction registerPlanCommand(CLI::App& parent);
CommandAction registerStatusCommand(CLI::App& parent);
CommandAction registerCheckCommand(CLI::App& parent);
CommandAction registerVerifyCommand(CLI::App& parent);
CommandAction registerCertbotHookCommand(CLI::App& parent);

/// DaneBot users switch by changing the program name: `daneguard --cert-file F -d HOST ...`
/// with no subcommand means `run`. The flags live on the root application for that.
struct RootInvocation {
  std::function<bool()> requested;  // after parsing: were DaneBot flags given?
  CommandAction action;
};
RootInvocation registerRootInvocation(CLI::App& root);

}  // namespace daneguard::cli
