// certbot's live/archive/renewal layout (see the header).
#include "adapters/certificates/certbot_lineage.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <system_error>

#include "adapters/files/bounded_file.hpp"

namespace daneguard::adapters::certificates {
namespace {

namespace fs = std::filesystem;

/// "archive/mail/fullchain7.pem": the last three components, as operators know them.
std::string archiveLabel(const fs::path& resolved) {
  const fs::path name = resolved.filename();
  const fs::path lineage = resolved.parent_path().filename();
  const fs::path area = resolved.parent_path().parent_path().filename();
  return (area / lineage / name).string();
}

std::string lineagesPresent(const fs::path& config_dir) {
  const auto lineages = listCertbotLineages(config_dir);
  if (lineages.empty()) return "no lineage exists under " + (config_dir / "live").string();
  return fmt::format("lineages present: {}", fmt::join(lineages, ", "));
}

/// Resolves one live/ link, telling a broken link (its target named) from a missing file.
Result<fs::path> followLink(const fs::path& link, std::string_view lineage) {
  std::error_code error;
  const fs::file_status status = fs::symlink_status(link, error);
  if (error || !fs::exists(status)) {
    return fail(ErrorKind::NotFound,
                fmt::format("certbot lineage '{}': {} does not exist", lineage, link.string()));
  }
  fs::path resolved = fs::canonical(link, error);
  if (error) {
    std::error_code ignored;
    const fs::path target = fs::is_symlink(status) ? fs::read_symlink(link, ignored) : fs::path();
    const ErrorKind kind =
        error == std::errc::permission_denied ? ErrorKind::Permission : ErrorKind::NotFound;
    if (fs::is_symlink(status))
      return fail(kind, fmt::format("certbot lineage '{}': {} is a broken symlink to {} ({}); "
                                    "was the archive directory moved or pruned?",
                                    lineage, link.string(), target.string(), error.message()));
    return fail(
        kind, fmt::format("certbot lineage '{}': {}: {}", lineage, link.string(), error.message()));
  }
  return resolved;
}

}  // namespace

std::vector<std::string> listCertbotLineages(const fs::path& config_dir) {
  std::vector<std::string> names;
  std::error_code error;
  fs::directory_iterator entries(config_dir / "live", error);
  for (; !error && entries != fs::directory_iterator(); entries.increment(error)) {
    std::error_code ignored;
    if (entries->is_directory(ignored)) names.push_back(entries->path().filename().string());
  }
  std::ranges::sort(names);
  return names;
}

Result<CertbotLineageFiles> resolveCertbotLineage(const config::CertbotLineageSource& source) {
  const fs::path config_dir(source.config_dir);
  const fs::path live = config_dir / "live" / source.lineage;
  std::error_code error;
  if (!fs::is_directory(live, error)) {
    return fail(ErrorKind::NotFound,
                fmt::format("certbot lineage '{}' not found: {} is not a directory ({})",
                            source.lineage, live.string(), lineagesPresent(config_dir)));
  }
  auto fullchain = followLink(live / "fullchain.pem", source.lineage);
  if (!fullchain) return fail(std::move(fullchain.error()));
  auto key = followLink(live / "privkey.pem", source.lineage);
  if (!key) return fail(std::move(key.error()));
  CertbotLineageFiles files;
  files.fullchain = std::move(*fullchain);
  files.private_key = std::move(*key);
  files.fullchain_label = archiveLabel(files.fullchain);
  files.private_key_label = archiveLabel(files.private_key);
  return files;
}

Result<CertbotRenewalFacts> readCertbotRenewal(const fs::path& config_dir,
                                               std::string_view lineage) {
  const fs::path path = config_dir / "renewal" / (std::string(lineage) + ".conf");
  auto content = files::readBoundedFile(
      path, files::BoundedFileSpec{.max_bytes = 256 * 1024, .what = "certbot renewal file"});
  if (!content) {
    if (content.error().kind == ErrorKind::NotFound)
      return fail(content.error().withContext(
          fmt::format("certbot lineage '{}' has no renewal configuration ({})", lineage,
                      lineagesPresent(config_dir))));
    return fail(std::move(content.error()));
  }
  auto settings = certbot::parseRenewalConf(content->revealText(), path.string());
  if (!settings) return fail(std::move(settings.error()));
  return CertbotRenewalFacts{path.string(), std::move(*settings)};
}

}  // namespace daneguard::adapters::certificates
