#include "adapters/deploy/atomic_symlink.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <random>
#include <string>
#include <system_error>

#include "adapters/files/system_error.hpp"

namespace daneguard::adapters::deploy {
namespace {

constexpr std::string_view kTemporaryMarker = ".daneguard-";

std::filesystem::path temporarySibling(const std::filesystem::path& link) {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device entropy;
  std::string suffix;
  for (int i = 0; i < 12; ++i)
    suffix.push_back(kAlphabet[entropy() % kAlphabet.size()]);
  return link.parent_path() /
         fmt::format(".{}{}{}", link.filename().string(), kTemporaryMarker, suffix);
}

}  // namespace

Result<std::optional<std::filesystem::path>> readSymlink(const std::filesystem::path& link) {
  struct stat status {};
  if (::lstat(link.c_str(), &status) != 0) {
    if (errno == ENOENT) return std::optional<std::filesystem::path>();
    return fail(files::systemError(link, "inspect", errno));
  }
  if (!S_ISLNK(status.st_mode)) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("{}: is not a symbolic link; daneguard manages this name as a link "
                            "and will not replace a file or directory there (move it away)",
                            link.string()));
  }
  std::array<char, 4096> buffer{};
  const ssize_t length = ::readlink(link.c_str(), buffer.data(), buffer.size());
  if (length < 0) return fail(files::systemError(link, "read the link", errno));
  if (static_cast<std::size_t>(length) >= buffer.size()) {
    return fail(ErrorKind::InvalidInput, fmt::format("{}: link target too long", link.string()));
  }
  return std::optional(
      std::filesystem::path(std::string(buffer.data(), static_cast<std::size_t>(length))));
}

Result<void> replaceSymlink(const std::filesystem::path& link,
                            const std::filesystem::path& target) {
  if (auto existing = readSymlink(link); !existing) return fail(existing.error());
  const std::filesystem::path temporary = temporarySibling(link);
  if (::symlink(target.c_str(), temporary.c_str()) != 0) {
    return fail(files::systemError(temporary, "create the symbolic link", errno));
  }
  if (::rename(temporary.c_str(), link.c_str()) != 0) {
    const int error_number = errno;
    ::unlink(temporary.c_str());
    return fail(files::systemError(link, "rename a new symbolic link over", error_number));
  }
  return {};
}

Result<void> removeTemporaryLinks(const std::filesystem::path& directory) {
  std::error_code error;
  std::filesystem::directory_iterator entries(directory, error);
  if (error) return fail(files::systemError(directory, "list", error.value()));
  for (; entries != std::filesystem::directory_iterator(); entries.increment(error)) {
    if (error) break;
    const std::string name = entries->path().filename().string();
    if (!name.starts_with('.') || name.find(kTemporaryMarker) == std::string::npos) continue;
    if (::unlink(entries->path().c_str()) != 0 && errno != ENOENT)
      return fail(files::systemError(entries->path(), "remove", errno));
  }
  if (error) return fail(files::systemError(directory, "list", error.value()));
  return {};
}

}  // namespace daneguard::adapters::deploy
