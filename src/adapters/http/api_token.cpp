// Token loading (see the header).
#include "adapters/http/api_token.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "adapters/files/unique_fd.hpp"

namespace daneguard::adapters::http {
namespace {

constexpr std::size_t kMaxTokenBytes = 4096;

bool isSpace(std::uint8_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/// Trims in place; false when white space remains inside.
Result<SecretBytes> cleaned(SecretBytes raw, const std::string& where) {
  auto bytes = raw.reveal();
  std::size_t first = 0;
  std::size_t end = bytes.size();
  while (first < end && isSpace(bytes[first]))
    ++first;
  while (end > first && isSpace(bytes[end - 1]))
    --end;
  if (first == end) return fail(ErrorKind::Config, where + " is empty");
  for (std::size_t i = first; i < end; ++i)
    if (isSpace(bytes[i]) || bytes[i] == 0)
      return fail(ErrorKind::Config, where +
                                         " holds more than one word; it must contain the token "
                                         "alone (contents not shown)");
  return SecretBytes::copyOf(bytes.subspan(first, end - first));
}

}  // namespace

Result<SecretBytes> readTokenFile(const std::string& path) {
  files::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    const int error = errno;
    return fail(error == EACCES ? ErrorKind::Permission : ErrorKind::NotFound,
                "cannot open the API token file " + path + ": " + std::strerror(error));
  }
  SecretBytes buffer(kMaxTokenBytes + 1);
  std::size_t filled = 0;
  while (filled < buffer.size()) {
    const ssize_t got =
        ::read(fd.get(), buffer.revealMutable().data() + filled, buffer.size() - filled);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0)
      return fail(ErrorKind::NotFound,
                  "cannot read the API token file " + path + ": " + std::strerror(errno));
    if (got == 0) break;
    filled += static_cast<std::size_t>(got);
  }
  if (filled > kMaxTokenBytes)
    return fail(ErrorKind::Config, "the API token file " + path + " is larger than 4 KiB");
  buffer.shrinkTo(filled);
  return cleaned(std::move(buffer), "the API token file " + path);
}

Result<SecretBytes> readTokenEnvironment(const std::string& variable) {
  const char* value = std::getenv(variable.c_str());
  if (value == nullptr || *value == '\0')
    return fail(ErrorKind::Config,
                "the environment variable " + variable + " holding the API token is not set");
  return cleaned(SecretBytes::copyOf(std::string_view(value)),
                 "the environment variable " + variable);
}

}  // namespace daneguard::adapters::http
