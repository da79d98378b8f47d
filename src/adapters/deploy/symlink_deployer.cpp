#include "adapters/deploy/symlink_deployer.hpp"

#include <fmt/format.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <optional>
#include <system_error>
#include <variant>
#include <vector>

#include "adapters/deploy/atomic_symlink.hpp"
#include "adapters/deploy/reload_commands.hpp"
#include "adapters/files/atomic_file.hpp"
#include "adapters/files/system_error.hpp"
#include "adapters/openssl/handles.hpp"

namespace daneguard::adapters::deploy {
namespace {

namespace fs = std::filesystem;

// Alnitak creates the dane directory 0700 root:root; the same for directories made here.
constexpr mode_t kDaneDirectoryMode = 0700;
// Alnitak's link names: those of certbot's live/ directory.
constexpr std::array<std::string_view, 4> kLinkNames = {"cert", "chain", "fullchain", "privkey"};

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

std::optional<Bytes> firstCertificateDer(const fs::path& path) {
  const FilePtr file(std::fopen(path.c_str(), "re"));
  if (!file) return std::nullopt;
  const openssl::X509Ptr certificate(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
  if (!certificate) return std::nullopt;
  unsigned char* der = nullptr;
  const int length = i2d_X509(certificate.get(), &der);
  if (length <= 0) return std::nullopt;
  Bytes bytes(der, der + length);
  OPENSSL_free(der);
  return bytes;
}

std::optional<Bytes> privateKeySpki(const fs::path& path) {
  const FilePtr file(std::fopen(path.c_str(), "re"));
  if (!file) return std::nullopt;
  const openssl::EvpPkeyPtr key(PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr));
  if (!key) return std::nullopt;
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key.get(), &der);
  if (length <= 0) return std::nullopt;
  Bytes bytes(der, der + length);
  OPENSSL_free(der);
  return bytes;
}

std::optional<unsigned long> archiveNumber(const std::string& name) {
  if (!name.starts_with("cert") || !name.ends_with(".pem") || name.size() <= 8) return std::nullopt;
  const std::string digits = name.substr(4, name.size() - 8);
  unsigned long value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

Result<void> makeDaneDirectory(const fs::path& directory) {
  if (::mkdir(directory.c_str(), kDaneDirectoryMode) == 0) {
    if (::chmod(directory.c_str(), kDaneDirectoryMode) != 0)
      return fail(files::systemError(directory, "set mode 0700 on", errno));
    return {};
  }
  if (errno != EEXIST) return fail(files::systemError(directory, "create the directory", errno));
  std::error_code error;
  if (!fs::is_directory(directory, error))
    return fail(ErrorKind::InvalidInput,
                fmt::format("{}: exists but is not a directory", directory.string()));
  return {};
}

struct LinkChange {
  fs::path link;
  std::optional<fs::path> before;
  fs::path after;
};

Result<void> applyTargets(const fs::path& directory, const std::vector<LinkChange>& changes,
                          bool forward) {
  for (const LinkChange& change : changes) {
    const std::optional<fs::path> target = forward ? std::optional(change.after) : change.before;
    if (target) {
      if (auto replaced = replaceSymlink(change.link, *target); !replaced) return replaced;
    } else if (::unlink(change.link.c_str()) != 0 && errno != ENOENT) {
      return fail(files::systemError(change.link, "remove", errno));
    }
  }
  return files::syncDirectory(directory);
}

}  // namespace

Result<unsigned long> findArchiveVersion(const fs::path& archive_directory,
                                         const LoadedCertificate& certificate) {
  std::error_code error;
  std::optional<unsigned long> found;
  for (fs::directory_iterator entry(archive_directory, error), end; !error && entry != end;
       entry.increment(error)) {
    const auto number = archiveNumber(entry->path().filename().string());
    if (!number || (found && *found > *number)) continue;
    if (firstCertificateDer(entry->path()) == certificate.chain.leaf().der) found = number;
  }
  if (error) return fail(files::systemError(archive_directory, "list", error.value()));
  if (!found) {
    return fail(ErrorKind::NotFound,
                fmt::format("{}: no cert<N>.pem holds the certificate to deploy ({}); the "
                            "symlinks mode links to certbot's archive files",
                            archive_directory.string(), certificate.chain.leaf().subject));
  }
  const fs::path key = archive_directory / fmt::format("privkey{}.pem", *found);
  if (privateKeySpki(key) != certificate.key.spki_der) {
    return fail(
        ErrorKind::InvalidInput,
        fmt::format("{}: missing, unreadable, or not the key of cert{}.pem", key.string(), *found));
  }
  for (const std::string_view name : {"chain", "fullchain"}) {
    const fs::path path = archive_directory / fmt::format("{}{}.pem", name, *found);
    if (!fs::is_regular_file(path, error))
      return fail(ErrorKind::NotFound, fmt::format("{}: missing", path.string()));
  }
  return *found;
}

Result<void> SymlinkDeployer::deploy(const ports::DeployRequest& request) {
  const auto* settings = std::get_if<config::SymlinkDeploy>(&request.service.deploy);
  const auto* lineage = std::get_if<config::CertbotLineageSource>(&request.service.certificate);
  if (settings == nullptr || lineage == nullptr) {
    return fail(ErrorKind::Config,
                fmt::format("service '{}': deploy type \"symlinks\" needs a certificate of type "
                            "\"certbot\"",
                            request.service.name));
  }
  return link(*settings, *lineage, request.certificates, request.service.name,
              request.candidate_id);
}

Result<void> SymlinkDeployer::link(const config::SymlinkDeploy& settings,
                                   const config::CertbotLineageSource& lineage,
                                   std::span<const LoadedCertificate> certificates,
                                   std::string_view service, std::string_view candidate_id) {
  const std::string context = fmt::format("service '{}': dane directory links", service);
  if (certificates.size() != 1) {
    return fail(ErrorKind::Config,
                fmt::format("{}: a certbot lineage holds one certificate, got {}; use type "
                            "\"install\" for several",
                            context, certificates.size()));
  }
  const fs::path archive = fs::path(lineage.config_dir) / "archive" / lineage.lineage;
  auto number = findArchiveVersion(archive, certificates.front());
  if (!number) return fail(number.error().withContext(context));

  const fs::path root(settings.directory);
  const fs::path directory = root / lineage.lineage;
  // Like Alnitak's `mkdir -p`; only the two directories it owns get its mode 0700.
  std::error_code made_parents;
  fs::create_directories(root.parent_path(), made_parents);
  for (const fs::path& path : {root, directory}) {
    if (auto made = makeDaneDirectory(path); !made) return fail(made.error().withContext(context));
  }
  // Relative like Alnitak's links, between the resolved directories, so that they keep
  // working when /etc is reached through another name (a chroot, a bind mount).
  std::error_code error;
  const fs::path from = fs::weakly_canonical(directory, error);
  const fs::path to = error ? fs::path() : fs::weakly_canonical(archive, error);
  if (error)
    return fail(files::systemError(archive, "resolve", error.value()).withContext(context));

  std::vector<LinkChange> changes;
  for (const std::string_view name : kLinkNames) {
    const fs::path link = directory / fmt::format("{}.pem", name);
    auto before = readSymlink(link);
    if (!before) return fail(before.error().withContext(context));
    fs::path after = (to / fmt::format("{}{}.pem", name, *number)).lexically_relative(from);
    if (*before == after) continue;
    changes.push_back({link, *before, std::move(after)});
  }
  if (auto applied = applyTargets(directory, changes, true); !applied)
    return fail(applied.error().withContext(context));

  const ReloadEnvironment environment = {
      {"DANEGUARD_SERVICE", std::string(service)},
      {"DANEGUARD_CERTIFICATE_ID", std::string(candidate_id)},
      {"DANEGUARD_DANE_DIR", directory.string()},
  };
  auto reloaded = runReloadCommands(runner_, settings.reload, service, environment);
  if (reloaded) return {};
  std::string aftermath;
  if (changes.empty()) {
    aftermath = "; the links were already in place before this deploy and are left as they are";
  } else if (auto restored = applyTargets(directory, changes, false); !restored) {
    aftermath = fmt::format("; putting the links back FAILED too ({})", restored.error().message);
  } else if (auto again = runReloadCommands(runner_, settings.reload, service, environment);
             !again) {
    aftermath =
        fmt::format("; put the links back, but reloading failed again ({})", again.error().message);
  } else {
    aftermath = "; put the links back and reloaded: the old certificate is in service";
  }
  return fail(reloaded.error().kind, reloaded.error().message + aftermath);
}

}  // namespace daneguard::adapters::deploy
