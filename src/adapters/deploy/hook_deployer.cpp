#include "adapters/deploy/hook_deployer.hpp"

#include <fmt/format.h>

#include <variant>

#include "adapters/deploy/hook_staging.hpp"

namespace daneguard::adapters::deploy {

Result<void> HookDeployer::deploy(const ports::DeployRequest& request) {
  const auto* hook = std::get_if<config::HookDeploy>(&request.service.deploy);
  if (hook == nullptr) {
    return fail(ErrorKind::Config,
                fmt::format("service '{}': only deploy type \"hook\" is supported so far",
                            request.service.name));
  }
  auto staged = StagedCertificate::stage(request.certificate, state_directory_,
                                         request.service.name, request.service.hosts);
  if (!staged) return fail(std::move(staged.error()));

  ports::HookInvocation invocation;
  invocation.label = fmt::format("deploy hook for service '{}'", request.service.name);
  invocation.argv = hook->command;
  invocation.environment = staged->hookEnvironment();
  invocation.environment.push_back(
      ports::HookVariable::plain("DANEGUARD_CERTIFICATE_ID", request.candidate_id));
  invocation.working_directory = staged->directory();
  invocation.timeout = hook->timeout;
  auto outcome = runner_.run(invocation);
  if (!outcome) return fail(std::move(outcome.error()));
  return {};
}

}  // namespace daneguard::adapters::deploy
