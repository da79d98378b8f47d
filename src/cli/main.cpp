// daneguard's entry point: parses the command line, wires adapters into the app layer and maps
// errors to exit codes. No logic lives here.
#include <fmt/core.h>

#include <CLI/CLI.hpp>

#include "app/version.hpp"

int main(int argc, char** argv) {
  CLI::App cli{"daneguard: keeps DANE TLSA records and TLS certificates in step"};
  cli.set_version_flag("--version", daneguard::app::versionText());
  cli.require_subcommand(1);
  CLI11_PARSE(cli, argc, argv);
  return 0;
}
