// certbot's live/archive/renewal layout (see the header).
#include "adapters/certificates/certbot_lineage.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <system_error>

#include "adapters/files/bounded_file.hpp"

namespace daneguard::adapters::certificates {
namespace {

namespace fs = std::filesystem;

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

std::string lowerCase(std::string_view text) {
  std::string lowered(text);
  std::ranges::transform(lowered, lowered.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lowered;
}

/// configobj (which certbot uses) accepts these spellings for booleans.
std::optional<bool> parseBoolean(std::string_view text) {
  const std::string value = lowerCase(text);
  if (value == "true" || value == "yes" || value == "on" || value == "1") return true;
  if (value == "false" || value == "no" || value == "off" || value == "0") return false;
  return std::nullopt;
}

std::string_view unquote(std::string_view value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front())
    return value.substr(1, value.size() - 2);
  return value;
}

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

Result<CertbotRenewalFacts> parseCertbotRenewal(std::string_view text,
                                                std::string_view source_name) {
  CertbotRenewalFacts facts;
  facts.path = std::string(source_name);
  std::string section;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    line = trim(line);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    const auto where = [&] { return fmt::format("{}:{}", source_name, line_number); };
    if (line.front() == '[') {
      if (line.back() != ']')
        return fail(ErrorKind::InvalidInput,
                    fmt::format("{}: a section header must end with ']'", where()));
      // configobj nests with [[sub]]; certbot writes only [renewalparams] at one level.
      section = std::string(trim(line.substr(line.find_first_not_of('['))));
      section = section.substr(0, section.find(']'));
      continue;
    }
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos)
      return fail(ErrorKind::InvalidInput,
                  fmt::format("{}: expected 'key = value' or '[section]'", where()));
    const std::string key = lowerCase(trim(line.substr(0, equals)));
    const std::string_view value = unquote(trim(line.substr(equals + 1)));
    if (section != "renewalparams") continue;
    if (key == "reuse_key") {
      const auto reuse = parseBoolean(value);
      if (!reuse)
        return fail(ErrorKind::InvalidInput,
                    fmt::format("{}: reuse_key: expected True or False", where()));
      facts.reuse_key = *reuse;
    } else if (key == "key_type") {
      facts.key_type = lowerCase(value);
    } else if (key == "elliptic_curve") {
      facts.elliptic_curve = lowerCase(value);
    } else if (key == "rsa_key_size") {
      int bits = 0;
      const auto [end_of_number, status] =
          std::from_chars(value.data(), value.data() + value.size(), bits);
      if (status != std::errc() || end_of_number != value.data() + value.size() || bits <= 0)
        return fail(ErrorKind::InvalidInput,
                    fmt::format("{}: rsa_key_size: expected a number of bits", where()));
      facts.rsa_key_size = bits;
    } else if (key == "authenticator") {
      facts.authenticator = std::string(value);
    }
  }
  return facts;
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
  return parseCertbotRenewal(content->revealText(), path.string());
}

}  // namespace daneguard::adapters::certificates
