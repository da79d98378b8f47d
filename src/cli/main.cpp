// daneguard's entry point: parses the command line, runs the chosen command and maps its error
// to one stderr line and a sysexits exit status (docs/exit-codes.md). No logic lives here.
#include <fmt/core.h>

#include <cstdio>
#include <vector>

#include "app/version.hpp"
#include "cli/command.hpp"
#include "cli/global_options.hpp"

namespace {

constexpr int kExitUsage = 64;  // EX_USAGE

struct RegisteredCommand {
  CLI::App* subcommand;
  daneguard::cli::CommandAction action;
};

int runMain(int argc, char** argv) {
  using namespace daneguard::cli;
  CLI::App cli{"daneguard: keeps DANE TLSA records and TLS certificates in step"};
  cli.set_version_flag("--version", daneguard::app::versionText());
  // No subcommand is allowed only for the DaneBot-style invocation (checked after parsing).
  cli.require_subcommand(0, 1);
  registerGlobalOptions(cli);
  const RootInvocation root_invocation = registerRootInvocation(cli);
  cli.footer("Exit codes: docs/exit-codes.md. Configuration: docs/configuration.md.");

  std::vector<RegisteredCommand> commands;
  for (const CommandRegistration registration :
       {registerTlsaCommand, registerCheckConfigCommand, registerDemoCommand, registerRunCommand,
        registerPlanCommand, registerStatusCommand, registerVerifyCommand, registerCheckCommand,
        registerCertbotHookCommand}) {
    const std::size_t before = cli.get_subcommands({}).size();
    CommandAction action = registration(cli);
    commands.push_back({cli.get_subcommands({}).at(before), std::move(action)});
  }

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return cli.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return cli.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return cli.exit(version);
  } catch (const CLI::ParseError& error) {
    fmt::print(stderr, "daneguard: {}\nRun 'daneguard --help' for usage.\n", error.what());
    return kExitUsage;
  }
  const auto finish = [](const daneguard::Result<int>& status) {
    if (status) return *status;
    fmt::print(stderr, "daneguard: {}\n", status.error().message);
    return daneguard::exitCodeFor(status.error().kind);
  };
  for (const RegisteredCommand& command : commands) {
    if (command.subcommand->parsed()) return finish(command.action());
  }
  if (root_invocation.requested()) return finish(root_invocation.action());
  fmt::print(stderr, "daneguard: a command is required\nRun 'daneguard --help' for usage.\n");
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return runMain(argc, argv);
  } catch (const std::exception& bug) {
    // Expected failures are Result values; reaching this is a bug, reported as such.
    fmt::print(stderr, "daneguard: internal error: {}\n", bug.what());
    return 70;  // EX_SOFTWARE
  }
}
