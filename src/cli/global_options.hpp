// Options every rollover command understands wherever they appear on the command line
// (`daneguard -v run` and `daneguard run -v`): verbosity and the log format on stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace daneguard::cli {

enum class LogFormat { Text, Json };

struct GlobalOptions {
  int verbose = 0;     // -v: debug messages; `run` also reports when nothing happened
  bool quiet = false;  // -q: errors only
  LogFormat log_format = LogFormat::Text;
};

/// The process-wide values, filled while parsing.
GlobalOptions& globalOptions();

/// Registers -v/--verbose, -q/--quiet and --log-format on `app` (the root, and each rollover
/// subcommand), all bound to globalOptions().
void registerGlobalOptions(CLI::App& app);

}  // namespace daneguard::cli
