#include "cli/deployer_factory.hpp"

#include <variant>

#include "adapters/deploy/hook_deployer.hpp"
#include "adapters/deploy/install_deployer.hpp"
#include "adapters/deploy/symlink_deployer.hpp"
#include "adapters/process/posix_hook_runner.hpp"

namespace daneguard::cli {
namespace {

/// Owns the runner the deployers borrow and routes by the service's deploy type, so the CLI
/// holds one object.
class DispatchingDeployer final : public ports::Deployer {
 public:
  explicit DispatchingDeployer(std::filesystem::path state_dir)
      : hook_(std::move(state_dir), runner_), install_(runner_), symlinks_(runner_) {}

  Result<void> deploy(const ports::DeployRequest& request) override {
    struct Route {
      DispatchingDeployer& self;
      ports::Deployer& operator()(const config::HookDeploy&) const { return self.hook_; }
      ports::Deployer& operator()(const config::InstallDeploy&) const { return self.install_; }
      ports::Deployer& operator()(const config::SymlinkDeploy&) const { return self.symlinks_; }
    };
    return std::visit(Route{*this}, request.service.deploy).deploy(request);
  }

 private:
  adapters::process::PosixHookRunner runner_;
  adapters::deploy::HookDeployer hook_;
  adapters::deploy::InstallDeployer install_;
  adapters::deploy::SymlinkDeployer symlinks_;
};

}  // namespace

std::unique_ptr<ports::Deployer> makeDeployer(const std::filesystem::path& state_dir) {
  return std::make_unique<DispatchingDeployer>(state_dir);
}

}  // namespace daneguard::cli
