#include "adapters/files/system_error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <system_error>

namespace daneguard::adapters::files {

Error systemError(const std::filesystem::path& path, std::string_view what, int error_number) {
  ErrorKind kind = ErrorKind::InvalidInput;
  switch (error_number) {
    case ENOENT:
    case ENOTDIR:
      kind = ErrorKind::NotFound;
      break;
    case EACCES:
    case EPERM:
    case EROFS:
      kind = ErrorKind::Permission;
      break;
    case EINTR:
    case EAGAIN:
    case ENOSPC:
    case EIO:
    case EDQUOT:
      kind = ErrorKind::Transient;
      break;
    default:
      break;
  }
  // std::generic_category().message is thread-safe, unlike strerror.
  return Error{kind, fmt::format("{}: cannot {}: {}", path.string(), what,
                                 std::generic_category().message(error_number))};
}

}  // namespace daneguard::adapters::files
