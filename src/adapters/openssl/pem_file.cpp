#include "adapters/openssl/pem_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

#include "adapters/files/unique_fd.hpp"

namespace daneguard::adapters::openssl {
namespace {

Error accessError(const std::filesystem::path& path, int error_number) {
  const std::string reason = std::generic_category().message(error_number);
  switch (error_number) {
    case ENOENT:
    case ENOTDIR:
      return Error{ErrorKind::NotFound, path.string() + ": no such file"};
    case EACCES:
    case EPERM:
      return Error{ErrorKind::Permission, path.string() + ": cannot read: " + reason};
    default:
      return Error{ErrorKind::InvalidInput, path.string() + ": cannot read: " + reason};
  }
}

}  // namespace

Result<SecretBytes> readPemFile(const std::filesystem::path& path) {
  // O_NONBLOCK: opening a FIFO must not hang; it is refused below as not a regular file.
  const files::UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (file.get() < 0) return fail(accessError(path, errno));

  struct stat status {};
  if (::fstat(file.get(), &status) != 0) return fail(accessError(path, errno));
  if (S_ISDIR(status.st_mode)) {
    return fail(ErrorKind::InvalidInput, path.string() + ": is a directory, expected a PEM file");
  }
  if (!S_ISREG(status.st_mode)) {
    return fail(ErrorKind::InvalidInput, path.string() + ": is not a regular file");
  }
  if (static_cast<std::uintmax_t>(status.st_size) > kMaxPemFileBytes) {
    return fail(ErrorKind::InvalidInput,
                path.string() + ": file is " + std::to_string(status.st_size) +
                    " bytes, over the 1 MiB limit for a certificate or key file");
  }

  // One byte of headroom detects a file that grew past the limit after fstat.
  SecretBytes content(kMaxPemFileBytes + 1);
  std::size_t filled = 0;
  const auto buffer = content.revealMutable();
  while (filled < buffer.size()) {
    const ssize_t got = ::read(file.get(), buffer.data() + filled, buffer.size() - filled);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      return fail(accessError(path, errno));
    }
    filled += static_cast<std::size_t>(got);
  }
  if (filled > kMaxPemFileBytes) {
    return fail(ErrorKind::InvalidInput,
                path.string() + ": file is over the 1 MiB limit for a certificate or key file");
  }
  if (filled == 0) return fail(ErrorKind::InvalidInput, path.string() + ": file is empty");
  content.shrinkTo(filled);
  return content;
}

}  // namespace daneguard::adapters::openssl
