// Placeholder until the hook runner is merged (see the header).
#include "cli/deployer_factory.hpp"

namespace daneguard::cli {
namespace {

/// Refuses every deploy, so nothing is ever recorded as deployed without a hook having run.
class UnwiredHookDeployer final : public ports::Deployer {
 public:
  Result<void> deploy(const ports::DeployRequest& request) override {
    return fail(ErrorKind::Internal,
                "deploy hooks are not wired yet (service " + request.service.name + ")");
  }
};

}  // namespace

std::unique_ptr<ports::Deployer> makeDeployer(const std::filesystem::path& /*state_dir*/) {
  // TODO(merge): the hook runner with certificate staging under state_dir.
  return std::make_unique<UnwiredHookDeployer>();
}

}  // namespace daneguard::cli
