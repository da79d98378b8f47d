// Where the CLI gets its Deployer: the one place the lead points at the hook runner
// (src/adapters/process/ + src/adapters/deploy/) when the branches merge.
#pragma once

#include <filesystem>
#include <memory>

#include "ports/deployer.hpp"

namespace daneguard::cli {

/// A deployer that stages certificate files for hooks under `state_dir` and runs them.
std::unique_ptr<ports::Deployer> makeDeployer(const std::filesystem::path& state_dir);

}  // namespace daneguard::cli
