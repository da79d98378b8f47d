// Runs an external program (no shell) and captures what it prints, for tests that drive the
// daneguard binary or an independent tool (openssl, ldns-dane, tlsa) as an oracle.
#pragma once

#include <sys/types.h>

#include <filesystem>
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

/// Starts argv (argv[0] looked up in PATH, no shell) with standard input read from `input` and
/// output written to `out` and `err`; returns the pid. Throws when the program cannot start.
pid_t spawnWithFiles(const std::vector<std::string>& argv, const std::filesystem::path& input,
                     const std::filesystem::path& out, const std::filesystem::path& err);

/// The CommandResult of a process that ended with wait `status` and wrote to `out` and `err`.
CommandResult commandResult(int status, const std::filesystem::path& out,
                            const std::filesystem::path& err);

/// The whole content of a file ("" when it cannot be read).
std::string readTextFile(const std::filesystem::path& path);

/// `env -u ...` unsetting every variable daneguard reads (state dir, config, DaneBot TSIG
/// credentials), so a test's binary sees only what the test passes; append VAR=value entries,
/// then the program and its arguments.
std::vector<std::string> withoutDaneguardEnvironment();

}  // namespace daneguard::testing
