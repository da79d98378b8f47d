// Where the CLI gets its Deployer: the hook runner (src/adapters/process/) with certificate
// staging (src/adapters/deploy/). Later deploy modes (install, symlinks) plug in here.
#pragma once

#include <filesystem>
#include <memory>

#include "ports/deployer.hpp"

namespace daneguard::cli {

/// A deployer that stages certificate files for hooks under `state_dir` and runs them.
std::unique_ptr<ports::Deployer> makeDeployer(const std::filesystem::path& state_dir);

}  // namespace daneguard::cli
