#include "adapters/deploy/install_deployer.hpp"

#include <fmt/format.h>

#include <variant>

#include "adapters/deploy/certificate_files.hpp"
#include "adapters/deploy/install_directory.hpp"
#include "adapters/deploy/reload_commands.hpp"

namespace daneguard::adapters::deploy {

Result<void> InstallDeployer::deploy(const ports::DeployRequest& request) {
  const auto* settings = std::get_if<config::InstallDeploy>(&request.service.deploy);
  if (settings == nullptr) {
    return fail(ErrorKind::Internal,
                fmt::format("service '{}': the install deployer got another deploy type",
                            request.service.name));
  }
  return install(*settings, request.certificates, request.service.name, request.candidate_id);
}

Result<void> InstallDeployer::install(const config::InstallDeploy& settings,
                                      std::span<const LoadedCertificate> certificates,
                                      std::string_view service, std::string_view candidate_id) {
  const std::string context =
      fmt::format("service '{}': install into {}", service, settings.directory);
  auto permissions = resolvePermissions(settings);
  if (!permissions) return fail(permissions.error().withContext(context));
  auto files = renderCertificateFiles(certificates, service);
  if (!files) return fail(files.error());
  auto record = installFileSet(settings.directory, *files, *permissions, candidate_id);
  if (!record) return fail(record.error().withContext(context));

  const ReloadEnvironment environment = {
      {"DANEGUARD_SERVICE", std::string(service)},
      {"DANEGUARD_CERTIFICATE_ID", std::string(candidate_id)},
      {"DANEGUARD_INSTALL_DIR", settings.directory},
  };
  auto reloaded = runReloadCommands(runner_, settings.reload, service, environment);
  if (reloaded) {
    // Only housekeeping is left: the next install prunes again if this fails.
    (void)pruneVersions(settings.directory);
    return {};
  }

  std::string aftermath;
  auto restored = restoreFileSet(settings.directory, *record);
  if (!restored) {
    aftermath = fmt::format(
        "; switching back to the previous files FAILED too ({}): the new "
        "certificate may be in service",
        restored.error().message);
  } else if (*restored == Restored::Untouched) {
    aftermath = "; the files were already in place before this deploy and are left as they are";
  } else if (*restored == Restored::NothingLeft) {
    aftermath =
        "; there was no earlier set to switch back to, so the new files were removed "
        "from service";
  } else if (auto again = runReloadCommands(runner_, settings.reload, service, environment);
             !again) {
    aftermath = fmt::format(
        "; switched back to the previous files, but reloading them failed "
        "too ({})",
        again.error().message);
  } else {
    aftermath =
        "; switched back to the previous files and reloaded: the old certificate is "
        "in service";
  }
  if (restored) (void)pruneVersions(settings.directory);
  return fail(reloaded.error().kind, reloaded.error().message + aftermath);
}

}  // namespace daneguard::adapters::deploy
