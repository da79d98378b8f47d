#include "adapters/deploy/hook_deployer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <variant>
#include <vector>

#include "adapters/deploy/hook_staging.hpp"

namespace daneguard::adapters::deploy {

std::string hookKeyTypeTag(KeyAlgorithm algorithm) {
  std::string tag(keyFamilyName(algorithm));
  std::transform(tag.begin(), tag.end(), tag.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return tag;
}

Result<void> HookDeployer::deploy(const ports::DeployRequest& request) {
  const auto* hook = std::get_if<config::HookDeploy>(&request.service.deploy);
  if (hook == nullptr) {
    return fail(ErrorKind::Config,
                fmt::format("service '{}': only deploy type \"hook\" is supported so far",
                            request.service.name));
  }
  if (request.certificates.empty()) {
    return fail(ErrorKind::Internal, fmt::format("service '{}': a deploy without any certificate",
                                                 request.service.name));
  }
  // One staging directory per certificate; all are removed when `staged` goes out of scope.
  std::vector<StagedCertificate> staged;
  std::vector<std::string_view> tags;
  std::string key_types;
  for (const LoadedCertificate& certificate : request.certificates) {
    const std::string tag = hookKeyTypeTag(certificate.key.algorithm);
    if (std::find(tags.begin(), tags.end(), tag) != tags.end()) {
      return fail(ErrorKind::InvalidInput,
                  fmt::format("service '{}': two certificates with {} keys; the hook tells "
                              "certificates apart by key type",
                              request.service.name, tag));
    }
    auto one = StagedCertificate::stage(certificate, state_directory_, request.service.name,
                                        request.service.hosts);
    if (!one) return fail(std::move(one.error()));
    staged.push_back(std::move(*one));
    tags.push_back(tag);
    key_types += key_types.empty() ? std::string(tag) : " " + std::string(tag);
  }

  ports::HookInvocation invocation;
  invocation.label = fmt::format("deploy hook for service '{}'", request.service.name);
  invocation.argv = hook->command;
  // The unsuffixed (and DaneBot) variables describe the primary certificate, as before.
  invocation.environment = staged.front().hookEnvironment();
  for (std::size_t i = 0; i < staged.size(); ++i) {
    const std::string tag(hookKeyTypeTag(request.certificates[i].key.algorithm));
    const StagedCertificate& files = staged[i];
    invocation.environment.push_back(
        ports::HookVariable::plain("DANEGUARD_CERT_FILE_" + tag, files.certificateFile().string()));
    invocation.environment.push_back(
        ports::HookVariable::plain("DANEGUARD_KEY_FILE_" + tag, files.keyFile().string()));
    invocation.environment.push_back(
        ports::HookVariable::plain("DANEGUARD_CHAIN_FILE_" + tag, files.chainFile().string()));
    invocation.environment.push_back(ports::HookVariable::plain("DANEGUARD_FULLCHAIN_FILE_" + tag,
                                                                files.fullchainFile().string()));
  }
  invocation.environment.push_back(ports::HookVariable::plain("DANEGUARD_KEY_TYPES", key_types));
  invocation.environment.push_back(
      ports::HookVariable::plain("DANEGUARD_CERTIFICATE_ID", request.candidate_id));
  invocation.working_directory = staged.front().directory();
  invocation.timeout = hook->timeout;
  auto outcome = runner_.run(invocation);
  if (!outcome) return fail(std::move(outcome.error()));
  return {};
}

}  // namespace daneguard::adapters::deploy
