// Matching a renewed lineage to services (see the header).
#include "app/certbot_hook.hpp"

#include <algorithm>
#include <optional>
#include <type_traits>
#include <variant>

namespace daneguard::app {
namespace {

/// "/a/b/c" -> "/a/b" on normalised paths ("/" separators, no trailing slash).
std::string parentOf(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return {};
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string withoutTrailingSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  return path;
}

/// True when the file `file` is the lineage itself or sits directly in the lineage directory.
bool fileBelongs(const std::string& lineage, const std::string& file) {
  return file == lineage || parentOf(file) == lineage;
}

}  // namespace

std::vector<std::string> servicesForLineage(const config::Config& config, std::string_view lineage,
                                            const PathNormalizer& normalize) {
  const std::string wanted = withoutTrailingSlash(normalize(lineage));
  const auto norm = [&](const std::string& path) { return withoutTrailingSlash(normalize(path)); };
  std::vector<std::string> services;
  const auto source_matches = [&](const config::CertificateSource& certificate) {
    return std::visit(
        [&](const auto& source) {
          using Kind = std::decay_t<decltype(source)>;
          if constexpr (std::is_same_v<Kind, config::CertbotLineageSource>) {
            return norm(source.config_dir + "/live/" + source.lineage) == wanted;
          } else if constexpr (std::is_same_v<Kind, config::PemBundleSource>) {
            return fileBelongs(wanted, norm(source.path));
          } else {
            for (const std::optional<std::string>& file :
                 {std::optional<std::string>(source.key), source.certificate, source.chain,
                  source.fullchain})
              if (file && fileBelongs(wanted, norm(*file))) return true;
            return false;
          }
        },
        certificate);
  };
  // A dual-certificate service matches when any of its sources is the renewed lineage.
  for (const config::Service& service : config.services) {
    const std::vector<config::CertificateSource> sources = service.certificateSources();
    if (std::any_of(sources.begin(), sources.end(), source_matches))
      services.push_back(service.name);
  }
  return services;
}

}  // namespace daneguard::app
