// Where the CLI gets its Deployer: one object that hands each request to the deployer of the
// service's `deploy` type (hook, install, symlinks; src/adapters/deploy/), all sharing one
// hook runner (src/adapters/process/) for hooks and reload commands.
#pragma once

#include <filesystem>
#include <memory>

#include "ports/deployer.hpp"

namespace daneguard::cli {

/// Hooks get their certificate files staged under `state_dir`.
std::unique_ptr<ports::Deployer> makeDeployer(const std::filesystem::path& state_dir);

}  // namespace daneguard::cli
