#include "adapters/deploy/reload_commands.hpp"

#include <fmt/format.h>

namespace daneguard::adapters::deploy {

std::string describeCommand(const std::vector<std::string>& argv) {
  std::string text;
  for (const std::string& argument : argv) {
    if (!text.empty()) text.push_back(' ');
    const bool quote = argument.empty() || argument.find_first_of(" \t'\"") != std::string::npos;
    text += quote ? fmt::format("'{}'", argument) : argument;
  }
  return text;
}

Result<void> runReloadCommands(ports::HookRunner& runner, const config::ReloadCommands& reload,
                               std::string_view service, const ReloadEnvironment& environment) {
  for (std::size_t i = 0; i < reload.commands.size(); ++i) {
    ports::HookInvocation invocation;
    invocation.label =
        fmt::format("reload command {} of {} for service '{}' (`{}`)", i + 1,
                    reload.commands.size(), service, describeCommand(reload.commands[i]));
    invocation.argv = reload.commands[i];
    for (const auto& [name, value] : environment)
      invocation.environment.push_back(ports::HookVariable::plain(name, value));
    invocation.timeout = reload.timeout;
    if (auto outcome = runner.run(invocation); !outcome) return fail(std::move(outcome.error()));
  }
  return {};
}

}  // namespace daneguard::adapters::deploy
