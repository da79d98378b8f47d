#include "adapters/files/bounded_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "adapters/files/unique_fd.hpp"

namespace daneguard::adapters::files {
namespace {

std::string describeLimit(std::size_t bytes) {
  constexpr std::size_t kMebibyte = std::size_t{1024} * 1024;
  if (bytes % kMebibyte == 0) return fmt::format("{} MiB", bytes / kMebibyte);
  if (bytes % 1024 == 0) return fmt::format("{} KiB", bytes / 1024);
  return fmt::format("{} bytes", bytes);
}

Error accessError(const std::filesystem::path& path, int error_number, ErrorKind content_kind) {
  switch (error_number) {
    case ENOENT:
    case ENOTDIR:
      return Error{ErrorKind::NotFound, path.string() + ": no such file"};
    case EACCES:
    case EPERM:
      return Error{ErrorKind::Permission, fmt::format("{}: cannot read: {}", path.string(),
                                                      std::generic_category().message(EACCES))};
    default:
      return Error{content_kind, fmt::format("{}: cannot read: {}", path.string(),
                                             std::generic_category().message(error_number))};
  }
}

}  // namespace

Result<SecretBytes> readBoundedFile(const std::filesystem::path& path,
                                    const BoundedFileSpec& spec) {
  const ErrorKind kind = spec.content_error_kind;
  const auto tooLarge = [&](std::string_view size) {
    return fail(kind, fmt::format("{}: file is {}over the {} limit for {}", path.string(), size,
                                  describeLimit(spec.max_bytes), spec.what));
  };
  // O_NONBLOCK: opening a FIFO must not hang; it is refused below as not a regular file.
  const UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!file) return fail(accessError(path, errno, kind));

  struct stat status {};
  if (::fstat(file.get(), &status) != 0) return fail(accessError(path, errno, kind));
  if (S_ISDIR(status.st_mode)) {
    return fail(kind, fmt::format("{}: is a directory, expected {}", path.string(), spec.what));
  }
  if (!S_ISREG(status.st_mode)) return fail(kind, path.string() + ": is not a regular file");
  if (static_cast<std::uintmax_t>(status.st_size) > spec.max_bytes) {
    return tooLarge(fmt::format("{} bytes, ", status.st_size));
  }

  // One byte of headroom detects a file that grew past the limit after fstat.
  SecretBytes content(spec.max_bytes + 1);
  std::size_t filled = 0;
  const auto buffer = content.revealMutable();
  while (filled < buffer.size()) {
    const ssize_t got = ::read(file.get(), buffer.data() + filled, buffer.size() - filled);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      return fail(accessError(path, errno, kind));
    }
    filled += static_cast<std::size_t>(got);
  }
  if (filled > spec.max_bytes) return tooLarge("");
  if (filled == 0) return fail(kind, path.string() + ": file is empty");
  content.shrinkTo(filled);
  return content;
}

}  // namespace daneguard::adapters::files
