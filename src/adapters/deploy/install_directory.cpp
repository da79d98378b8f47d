#include "adapters/deploy/install_directory.hpp"

#include <fmt/format.h>
#include <grp.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include "adapters/deploy/atomic_symlink.hpp"
#include "adapters/files/atomic_file.hpp"
#include "adapters/files/system_error.hpp"

namespace daneguard::adapters::deploy {
namespace {

namespace fs = std::filesystem;

constexpr mode_t kDirectoryMode = 0755;
constexpr std::string_view kIncompletePrefix = ".incomplete-";
constexpr std::size_t kIdLength = 12;  // of the candidate id in a version name

template <class Id>
std::optional<Id> parseNumericId(const std::string& text) {
  Id value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Result<uid_t> lookUpUser(const std::string& name) {
  if (auto number = parseNumericId<uid_t>(name)) return *number;
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  const int error_number = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (found == nullptr) {
    if (error_number != 0)
      return fail(files::systemError("/etc/passwd", "look up user " + name, error_number));
    return fail(ErrorKind::Config, fmt::format("install owner '{}': no such user", name));
  }
  return entry.pw_uid;
}

Result<gid_t> lookUpGroup(const std::string& name) {
  if (auto number = parseNumericId<gid_t>(name)) return *number;
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  const int error_number = ::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (found == nullptr) {
    if (error_number != 0)
      return fail(files::systemError("/etc/group", "look up group " + name, error_number));
    return fail(ErrorKind::Config, fmt::format("install group '{}': no such group", name));
  }
  return entry.gr_gid;
}

Result<void> makeDirectory(const fs::path& directory) {
  if (::mkdir(directory.c_str(), kDirectoryMode) == 0) {
    // mkdir applies the umask; the layout's modes are documented, so set them exactly.
    if (::chmod(directory.c_str(), kDirectoryMode) != 0)
      return fail(files::systemError(directory, "set mode 0755 on", errno));
    return files::syncDirectory(directory.parent_path());
  }
  if (errno != EEXIST) return fail(files::systemError(directory, "create the directory", errno));
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("{}: exists but is not a directory", directory.string()));
  }
  return {};
}

std::optional<std::string> readWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return content;
}

/// True when `version` holds exactly `files` with the wanted modes and owners.
bool versionMatches(const fs::path& version, const std::vector<CertificateFile>& files,
                    const FilePermissions& permissions) {
  for (const CertificateFile& file : files) {
    const fs::path path = version / file.name;
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0 || !S_ISREG(status.st_mode)) return false;
    const mode_t wanted = file.holds_key ? permissions.key_mode : permissions.certificate_mode;
    if ((status.st_mode & 07777) != wanted) return false;
    if (status.st_uid != permissions.owner.value_or(::geteuid())) return false;
    if (status.st_gid != permissions.group.value_or(::getegid())) return false;
    auto content = readWholeFile(path);
    const bool same = content && *content == file.content.revealText();
    if (content && !content->empty()) OPENSSL_cleanse(content->data(), content->size());
    if (!same) return false;
  }
  return true;
}

unsigned long nextVersionNumber(const fs::path& versions) {
  unsigned long highest = 0;
  std::error_code error;
  for (fs::directory_iterator entry(versions, error), end; !error && entry != end;
       entry.increment(error)) {
    const std::string name = entry->path().filename().string();
    const std::size_t dash = name.find('-');
    if (dash == std::string::npos) continue;
    if (auto number = parseNumericId<unsigned long>(name.substr(0, dash)))
      highest = std::max(highest, *number);
  }
  return highest + 1;
}

Result<fs::path> writeVersion(const fs::path& versions, const std::vector<CertificateFile>& files,
                              const FilePermissions& permissions, std::string_view candidate_id) {
  std::string pattern = (versions / fmt::format("{}XXXXXX", kIncompletePrefix)).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    return fail(files::systemError(versions, "create a new version directory in", errno));
  const fs::path incomplete(pattern);
  if (::chmod(incomplete.c_str(), kDirectoryMode) != 0)
    return fail(files::systemError(incomplete, "set mode 0755 on", errno));
  const files::FileOwnership ownership{permissions.owner, permissions.group};
  for (const CertificateFile& file : files) {
    const mode_t mode = file.holds_key ? permissions.key_mode : permissions.certificate_mode;
    if (auto written = files::writeFileAtomically(incomplete / file.name, file.content.revealText(),
                                                  mode, ownership);
        !written) {
      std::error_code ignored;  // the error below is the one to report; prune retries
      fs::remove_all(incomplete, ignored);
      return fail(written.error());
    }
  }
  const std::string name =
      fmt::format("{}-{}", nextVersionNumber(versions),
                  candidate_id.substr(0, std::min(kIdLength, candidate_id.size())));
  const fs::path final_path = versions / name;
  if (::rename(incomplete.c_str(), final_path.c_str()) != 0)
    return fail(files::systemError(final_path, "rename the new version directory to", errno));
  if (auto synced = files::syncDirectory(versions); !synced) return fail(synced.error());
  return fs::path(kVersionsDirectory) / name;
}

/// Stable links DIR/<file> -> current/<file>; they never change once made.
Result<void> ensureFileLinks(const fs::path& directory, const std::vector<CertificateFile>& files) {
  bool added = false;
  for (const CertificateFile& file : files) {
    const fs::path link = directory / file.name;
    const fs::path target = fs::path(kCurrentLink) / file.name;
    auto existing = readSymlink(link);
    if (!existing) return fail(existing.error());
    if (*existing == target) continue;
    if (auto replaced = replaceSymlink(link, target); !replaced) return replaced;
    added = true;
  }
  return added ? files::syncDirectory(directory) : Result<void>{};
}

Result<void> pointLink(const fs::path& directory, std::string_view name,
                       const std::optional<fs::path>& target) {
  const fs::path link = directory / name;
  if (target) return replaceSymlink(link, *target);
  if (::unlink(link.c_str()) != 0 && errno != ENOENT)
    return fail(files::systemError(link, "remove", errno));
  return {};
}

}  // namespace

Result<FilePermissions> resolvePermissions(const config::InstallDeploy& settings) {
  FilePermissions permissions;
  permissions.key_mode = static_cast<mode_t>(settings.key_mode);
  permissions.certificate_mode = static_cast<mode_t>(settings.certificate_mode);
  if (settings.owner) {
    auto uid = lookUpUser(*settings.owner);
    if (!uid) return fail(uid.error());
    permissions.owner = *uid;
  }
  if (settings.group) {
    auto gid = lookUpGroup(*settings.group);
    if (!gid) return fail(gid.error());
    permissions.group = *gid;
  }
  return permissions;
}

Result<SwitchRecord> installFileSet(const fs::path& directory,
                                    const std::vector<CertificateFile>& files,
                                    const FilePermissions& permissions,
                                    std::string_view candidate_id) {
  if (auto made = makeDirectory(directory); !made) return fail(made.error());
  const fs::path versions = directory / kVersionsDirectory;
  if (auto made = makeDirectory(versions); !made) return fail(made.error());
  // Refuse before writing anything when a name daneguard must own is a real file.
  for (const CertificateFile& file : files) {
    if (auto existing = readSymlink(directory / file.name); !existing)
      return fail(existing.error());
  }
  auto current = readSymlink(directory / kCurrentLink);
  if (!current) return fail(current.error());
  auto previous = readSymlink(directory / kPreviousLink);
  if (!previous) return fail(previous.error());

  SwitchRecord record{false, *current, *previous};
  if (*current && versionMatches(directory / **current, files, permissions)) {
    if (auto linked = ensureFileLinks(directory, files); !linked) return fail(linked.error());
    return record;
  }
  auto version = writeVersion(versions, files, permissions, candidate_id);
  if (!version) return fail(version.error());
  if (*current) {
    if (auto kept = pointLink(directory, kPreviousLink, *current); !kept) return fail(kept.error());
  }
  // The switch: after this one rename every path through DIR/current is the new set.
  if (auto switched = pointLink(directory, kCurrentLink, *version); !switched)
    return fail(switched.error());
  record.switched = true;
  if (auto synced = files::syncDirectory(directory); !synced) return fail(synced.error());
  if (auto linked = ensureFileLinks(directory, files); !linked) return fail(linked.error());
  return record;
}

Result<Restored> restoreFileSet(const fs::path& directory, const SwitchRecord& record) {
  if (!record.switched) return Restored::Untouched;
  if (auto restored = pointLink(directory, kCurrentLink, record.current_before); !restored)
    return fail(restored.error());
  if (auto kept = pointLink(directory, kPreviousLink, record.previous_before); !kept)
    return fail(kept.error());
  if (auto synced = files::syncDirectory(directory); !synced) return fail(synced.error());
  return record.current_before ? Restored::PreviousSet : Restored::NothingLeft;
}

Result<void> pruneVersions(const fs::path& directory) {
  std::vector<std::string> keep;
  for (const std::string_view name : {kCurrentLink, kPreviousLink}) {
    auto target = readSymlink(directory / name);
    if (!target) return fail(target.error());
    if (*target) keep.push_back(target->value().filename().string());
  }
  const fs::path versions = directory / kVersionsDirectory;
  std::vector<fs::path> unused;  // collected first: no removal while the listing is open
  std::error_code error;
  for (fs::directory_iterator entry(versions, error), end; !error && entry != end;
       entry.increment(error)) {
    const std::string name = entry->path().filename().string();
    if (std::find(keep.begin(), keep.end(), name) == keep.end()) unused.push_back(entry->path());
  }
  if (error && error != std::errc::no_such_file_or_directory)
    return fail(files::systemError(versions, "list", error.value()));
  for (const fs::path& path : unused) {
    fs::remove_all(path, error);
    if (error) return fail(files::systemError(path, "remove", error.value()));
  }
  return removeTemporaryLinks(directory);
}

}  // namespace daneguard::adapters::deploy
