// The Deployer of `type = "install"`: writes the service's certificate files into its
// directory as one atomic set (install_directory.hpp), runs its reload commands, and when a
// reload fails switches back to the previous set, reloads again so that every server serves
// the old certificate, and fails the deploy (the planner then keeps the old records).
// A rerun with the same certificate writes nothing and reloads again (idempotent), which is
// what a crash between the reload and the state's record of the deploy needs.
#pragma once

#include <span>
#include <string_view>

#include "core/config/config.hpp"
#include "core/loaded_certificate.hpp"
#include "ports/deployer.hpp"
#include "ports/hook_runner.hpp"

namespace daneguard::adapters::deploy {

class InstallDeployer final : public ports::Deployer {
 public:
  explicit InstallDeployer(ports::HookRunner& runner) : runner_(runner) {}

  /// Adapts the request to install(); the service's deploy must be an InstallDeploy.
  Result<void> deploy(const ports::DeployRequest& request) override;

  /// Installs `certificates` (primary first; extra ones named by key type) and reloads.
  Result<void> install(const config::InstallDeploy& settings,
                       std::span<const LoadedCertificate> certificates, std::string_view service,
                       std::string_view candidate_id);

 private:
  ports::HookRunner& runner_;
};

}  // namespace daneguard::adapters::deploy
