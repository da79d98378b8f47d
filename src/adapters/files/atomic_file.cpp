#include "adapters/files/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <random>

#include "adapters/files/system_error.hpp"
#include "adapters/files/unique_fd.hpp"

namespace daneguard::adapters::files {
namespace {

std::filesystem::path temporarySibling(const std::filesystem::path& target) {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device entropy;
  std::string suffix;
  for (int i = 0; i < 12; ++i)
    suffix.push_back(kAlphabet[entropy() % kAlphabet.size()]);
  return target.parent_path() / fmt::format(".{}.daneguard-{}", target.filename().string(), suffix);
}

Result<void> writeAll(int fd, std::string_view content, const std::filesystem::path& path) {
  while (!content.empty()) {
    const ssize_t written = ::write(fd, content.data(), content.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return fail(systemError(path, "write", errno));
    }
    content.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

Result<void> fillTemporary(int fd, const std::filesystem::path& temporary, std::string_view content,
                           mode_t mode, const FileOwnership& ownership) {
  if (ownership.owner || ownership.group) {
    if (::fchown(fd, ownership.owner.value_or(static_cast<uid_t>(-1)),
                 ownership.group.value_or(static_cast<gid_t>(-1))) != 0) {
      return fail(systemError(temporary, "set owner/group", errno));
    }
  }
  // After fchown: changing the owner may clear mode bits, and the umask did apply at open().
  if (::fchmod(fd, mode) != 0) return fail(systemError(temporary, "set mode", errno));
  if (auto written = writeAll(fd, content, temporary); !written) return written;
  if (::fsync(fd) != 0) return fail(systemError(temporary, "fsync", errno));
  return {};
}

}  // namespace

Result<void> syncDirectory(const std::filesystem::path& directory) {
  const UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail(systemError(directory, "open directory", errno));
  if (::fsync(fd.get()) != 0) return fail(systemError(directory, "fsync directory", errno));
  return {};
}

Result<void> writeFileAtomically(const std::filesystem::path& target, std::string_view content,
                                 mode_t mode, const FileOwnership& ownership) {
  const std::filesystem::path directory =
      target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  const std::filesystem::path temporary = temporarySibling(target);
  // Mode 0600 at creation: the final, possibly wider mode is set only after ownership.
  const UniqueFd fd(
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return fail(systemError(target, "create a temporary file beside it", errno));

  auto filled = fillTemporary(fd.get(), temporary, content, mode, ownership);
  if (filled && ::rename(temporary.c_str(), target.c_str()) != 0) {
    filled = fail(systemError(target, "rename the temporary file over it", errno));
  }
  if (!filled) {
    ::unlink(temporary.c_str());
    return filled;
  }
  return syncDirectory(directory);
}

}  // namespace daneguard::adapters::files
