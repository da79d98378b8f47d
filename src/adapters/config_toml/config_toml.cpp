#include "adapters/config_toml/config_toml.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "adapters/config_toml/config_schema.hpp"
#include "adapters/config_toml/diagnostics.hpp"
#include "adapters/config_toml/value_syntax.hpp"

namespace daneguard::adapters::config_toml {
namespace {

// A configuration larger than this is a mistake (a log or a binary named by accident).
constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

Error fileError(int error_number, const std::string& name, std::string_view action) {
  const std::string reason = std::strerror(error_number);
  switch (error_number) {
    case ENOENT:
    case ENOTDIR:
      return Error{ErrorKind::NotFound, fmt::format("config file {}: does not exist", name)};
    case EACCES:
    case EPERM:
      return Error{ErrorKind::Permission,
                   fmt::format("config file {}: {} ({}); run daneguard as a user that may "
                               "read it",
                               name, reason, action)};
    default:
      return Error{ErrorKind::Config, fmt::format("config file {}: {}: {}", name, action, reason)};
  }
}

}  // namespace

Result<config::Config> parseConfigText(std::string_view text, std::string_view source_name) {
  try {
    toml::table root;
    try {
      root = toml::parse(text, source_name);
    } catch (const toml::parse_error& error) {
      const Position at = positionOf(error.source());
      return fail(ErrorKind::Config,
                  fmt::format("{}:{}:{}: TOML syntax error: {}", source_name, at.line, at.column,
                              printable(error.description(), 300)));
    }
    Diagnostics diagnostics{std::string(source_name)};
    config::Config config = decodeConfig(root, diagnostics);
    if (!diagnostics.empty()) return fail(diagnostics.toError());
    return config;
  } catch (const std::exception& error) {
    // toml++ or the standard library on resource exhaustion; never let it escape.
    return fail(ErrorKind::Internal, fmt::format("{}: reading the configuration failed: {}",
                                                 source_name, printable(error.what(), 200)));
  }
}

Result<config::Config> loadConfigFile(const std::filesystem::path& path) {
  const std::string name = path.string();
  // O_NONBLOCK: a FIFO named by mistake must not hang the open; it is refused below.
  const FileDescriptor file(::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (file.get() < 0) return fail(fileError(errno, name, "opening"));
  struct stat status {};
  if (::fstat(file.get(), &status) != 0) return fail(fileError(errno, name, "inspecting"));
  if (S_ISDIR(status.st_mode))
    return fail(ErrorKind::Config, fmt::format("config file {}: is a directory, not a file", name));
  if (!S_ISREG(status.st_mode))
    return fail(ErrorKind::Config, fmt::format("config file {}: is not a regular file", name));
  if (static_cast<std::size_t>(status.st_size) > kMaxConfigBytes)
    return fail(ErrorKind::Config,
                fmt::format("config file {}: is {} bytes, more than the 1 MiB limit", name,
                            status.st_size));
  std::string text;
  char buffer[16384];
  for (;;) {
    const ssize_t count = ::read(file.get(), buffer, sizeof buffer);
    if (count < 0) {
      if (errno == EINTR) continue;
      return fail(fileError(errno, name, "reading"));
    }
    if (count == 0) break;
    text.append(buffer, static_cast<std::size_t>(count));
    if (text.size() > kMaxConfigBytes)  // it grew while we read it
      return fail(ErrorKind::Config,
                  fmt::format("config file {}: is more than the 1 MiB limit", name));
  }
  return parseConfigText(text, name);
}

}  // namespace daneguard::adapters::config_toml
