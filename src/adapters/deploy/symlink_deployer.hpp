// The Deployer of `type = "symlinks"`: an Alnitak-compatible "dane directory" for a certbot
// lineage (docs/deploy.md). <directory>/<lineage>/{cert,chain,fullchain,privkey}.pem are
// relative symlinks to certbot's archive files (<config_dir>/archive/<lineage>/certN.pem ...)
// of the certificate that is safe to serve. certbot's own live/ links move at renewal; these
// move only when daneguard deploys, i.e. once the new TLSA records are safe (Alnitak's "held"
// state, made permanent, so no pre-hook is needed).
//
// The deployed certificate is found in the archive by content (the leaf DER), not by following
// live/, which may already point at a newer renewal; the archive key must match it.
// Each link is switched atomically (temporary link + rename); the four are switched one after
// the other, so a reader opening two of them during the switch may pair files of two versions:
// `install` mode switches a whole set with one rename. Then the reload commands run; when one
// fails the links are put back, the commands run again and the deploy fails.
#pragma once

#include <filesystem>
#include <span>
#include <string_view>

#include "core/config/config.hpp"
#include "core/loaded_certificate.hpp"
#include "ports/deployer.hpp"
#include "ports/hook_runner.hpp"

namespace daneguard::adapters::deploy {

/// The archive number N of certbot's cert<N>.pem whose leaf is `certificate`'s.
Result<unsigned long> findArchiveVersion(const std::filesystem::path& archive_directory,
                                         const LoadedCertificate& certificate);

class SymlinkDeployer final : public ports::Deployer {
 public:
  explicit SymlinkDeployer(ports::HookRunner& runner) : runner_(runner) {}

  /// Adapts the request to link(); needs a SymlinkDeploy and a certbot certificate source.
  Result<void> deploy(const ports::DeployRequest& request) override;

  /// Points the lineage's dane links at the archive files of `certificates` (exactly one:
  /// a certbot lineage holds one certificate) and reloads.
  Result<void> link(const config::SymlinkDeploy& settings,
                    const config::CertbotLineageSource& lineage,
                    std::span<const LoadedCertificate> certificates, std::string_view service,
                    std::string_view candidate_id);

 private:
  ports::HookRunner& runner_;
};

}  // namespace daneguard::adapters::deploy
