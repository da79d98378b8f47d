#include "adapters/files/lock_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>

#include "adapters/files/system_error.hpp"

namespace daneguard::adapters::files {
namespace {

std::string readHolderPid(int fd) {
  std::array<char, 32> buffer{};
  const ssize_t length = ::pread(fd, buffer.data(), buffer.size() - 1, 0);
  if (length <= 0) return "unknown";
  std::string pid(buffer.data(), static_cast<std::size_t>(length));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
    pid.pop_back();
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

Result<LockFile> LockFile::acquire(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return fail(systemError(path, "open lock file", errno));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return fail(ErrorKind::Transient,
                  fmt::format("{}: another daneguard run (pid {}) holds the lock; try again "
                              "when it has finished",
                              path.string(), readHolderPid(fd.get())));
    }
    return fail(systemError(path, "lock", errno));
  }
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd.get(), 0) != 0 ||
      ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return fail(systemError(path, "write pid into lock file", errno));
  }
  return LockFile(path, std::move(fd));
}

}  // namespace daneguard::adapters::files
