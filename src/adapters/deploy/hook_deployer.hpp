// The Deployer that runs the service's deploy hook: stages the certificate files privately
// (hook_staging.hpp), runs the hook through a HookRunner without a shell, and removes the
// staged files whatever the outcome. Success means the hook exited 0; hooks must be idempotent
// because a crash after the hook but before the state records the deploy runs it again.
#pragma once

#include <filesystem>

#include "ports/deployer.hpp"
#include "ports/hook_runner.hpp"

namespace daneguard::adapters::deploy {

class HookDeployer final : public ports::Deployer {
 public:
  HookDeployer(std::filesystem::path state_directory, ports::HookRunner& runner)
      : state_directory_(std::move(state_directory)), runner_(runner) {}

  Result<void> deploy(const ports::DeployRequest& request) override;

 private:
  std::filesystem::path state_directory_;
  ports::HookRunner& runner_;
};

}  // namespace daneguard::adapters::deploy
