// Runs a service's reload commands (config::ReloadCommands) after its certificate files
// changed, through the HookRunner: argv lists, no shell, a clean environment, a timeout each.
// They run in order and stop at the first failure, whose error names the command line, its
// exit status and the last line it wrote to stderr (the runner's message).
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "core/config/config.hpp"
#include "core/error.hpp"
#include "ports/hook_runner.hpp"

namespace daneguard::adapters::deploy {

/// Plain (name, value) variables given to every command, e.g. DANEGUARD_SERVICE.
using ReloadEnvironment = std::vector<std::pair<std::string, std::string>>;

/// "/usr/sbin/postfix reload", each argument quoted when it holds a space, for messages.
std::string describeCommand(const std::vector<std::string>& argv);

Result<void> runReloadCommands(ports::HookRunner& runner, const config::ReloadCommands& reload,
                               std::string_view service, const ReloadEnvironment& environment);

}  // namespace daneguard::adapters::deploy
