// Runs an external program (no shell) and captures what it prints, for tests that drive the
// daneguard binary or an independent tool (openssl, ldns-dane, tlsa) as an oracle.
#pragma once

#include <string>
#include <vector>

namespace daneguard::testing {

struct CommandResult {
  int exit_code = -1;  // 128 + signal number when killed by a signal
  std::string out;
  std::string err;
};

/// argv[0] is looked up in PATH. `input` is fed to the program's standard input.
CommandResult runCommand(const std::vector<std::string>& argv, const std::string& input = {});

/// True when `program` is found in PATH (for skipping oracle checks whose tool is missing).
bool programExists(const std::string& program);

}  // namespace daneguard::testing
