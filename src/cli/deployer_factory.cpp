#include "cli/deployer_factory.hpp"

#include "adapters/deploy/hook_deployer.hpp"
#include "adapters/process/posix_hook_runner.hpp"

namespace daneguard::cli {
namespace {

/// Owns the runner the HookDeployer borrows, so the CLI holds one object.
class OwningHookDeployer final : public ports::Deployer {
 public:
  explicit OwningHookDeployer(std::filesystem::path state_dir)
      : deployer_(std::move(state_dir), runner_) {}
  Result<void> deploy(const ports::DeployRequest& request) override {
    return deployer_.deploy(request);
  }

 private:
  adapters::process::PosixHookRunner runner_;
  adapters::deploy::HookDeployer deployer_;
};

}  // namespace

std::unique_ptr<ports::Deployer> makeDeployer(const std::filesystem::path& state_dir) {
  return std::make_unique<OwningHookDeployer>(state_dir);
}

}  // namespace daneguard::cli
