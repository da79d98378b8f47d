#include "adapters/tls/probe_connection.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace daneguard::adapters::tls {
namespace {

constexpr std::size_t kMaxLine = 8192;

/// strerror with a lower-case first letter, to read well after "connect: ".
std::string systemReason(int error_number) {
  std::string reason = std::strerror(error_number);
  if (!reason.empty() && reason[0] >= 'A' && reason[0] <= 'Z')
    reason[0] = static_cast<char>(reason[0] - 'A' + 'a');
  return reason;
}

struct AddrinfoFree {
  void operator()(addrinfo* info) const noexcept { freeaddrinfo(info); }
};

}  // namespace

std::string describeTimeout(std::chrono::milliseconds timeout) {
  if (timeout.count() % 1000 == 0) return std::to_string(timeout.count() / 1000) + " s";
  return std::to_string(timeout.count()) + " ms";
}

Result<ProbeConnection> ProbeConnection::open(const std::string& address, std::uint16_t port,
                                              std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(address.c_str(), service.c_str(), &hints, &raw) != 0 || raw == nullptr)
    return fail(ErrorKind::InvalidInput, "connect: \"" + address + "\" is not an IP address");
  const std::unique_ptr<addrinfo, AddrinfoFree> info(raw);

  files::UniqueFd fd(
      ::socket(info->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!fd) return fail(ErrorKind::Internal, "connect: socket: " + systemReason(errno));
  ProbeConnection connection(std::move(fd), Clock::now() + timeout, timeout);
  if (::connect(connection.fd(), info->ai_addr, info->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) return fail(ErrorKind::Transient, "connect: " + systemReason(errno));
    if (auto ready = connection.waitFor(true); !ready) return fail(ready.error());
    int error_number = 0;
    socklen_t length = sizeof error_number;
    if (::getsockopt(connection.fd(), SOL_SOCKET, SO_ERROR, &error_number, &length) != 0)
      error_number = errno;
    if (error_number != 0)
      return fail(ErrorKind::Transient, "connect: " + systemReason(error_number));
  }
  return connection;
}

Error ProbeConnection::timeoutError() const {
  return Error{ErrorKind::Transient,
               "timed out after " + describeTimeout(timeout_) + " during " + step_};
}

Result<void> ProbeConnection::waitFor(bool writable) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    if (left.count() <= 0) return fail(timeoutError());
    pollfd event{fd_.get(), static_cast<short>(writable ? POLLOUT : POLLIN), 0};
    const int ready = ::poll(&event, 1, static_cast<int>(left.count()));
    if (ready > 0) return {};  // POLLERR/POLLHUP too: the next read or write reports it
    if (ready < 0 && errno != EINTR)
      return fail(ErrorKind::Internal, step_ + ": poll: " + systemReason(errno));
  }
}

Result<void> ProbeConnection::fill() {
  for (;;) {
    char chunk[4096];
    const ssize_t got = ::recv(fd_.get(), chunk, sizeof chunk, 0);
    if (got > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(got));
      return {};
    }
    if (got == 0)
      return fail(ErrorKind::ProtocolViolation, "the server closed the connection during " + step_);
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (auto ready = waitFor(false); !ready) return ready;
      continue;
    }
    if (errno == EINTR) continue;
    return fail(ErrorKind::Transient, step_ + ": " + systemReason(errno));
  }
}

Result<std::string> ProbeConnection::readLine() {
  for (;;) {
    if (const auto end = buffer_.find('\n'); end != std::string::npos) {
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (buffer_.size() > kMaxLine)
      return fail(ErrorKind::ProtocolViolation, step_ + ": the server sent a line longer than " +
                                                    std::to_string(kMaxLine) + " bytes");
    if (auto more = fill(); !more) return fail(more.error());
  }
}

Result<Bytes> ProbeConnection::readBytes(std::size_t count) {
  while (buffer_.size() < count)
    if (auto more = fill(); !more) return fail(more.error());
  Bytes bytes(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(count));
  buffer_.erase(0, count);
  return bytes;
}

Result<std::string> ProbeConnection::readSome() {
  if (buffer_.empty())
    if (auto more = fill(); !more) return fail(more.error());
  return std::exchange(buffer_, {});
}

Result<void> ProbeConnection::writeAll(std::string_view data) {
  while (!data.empty()) {
    // MSG_NOSIGNAL: a server that hangs up must be an error, not a SIGPIPE.
    const ssize_t sent = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (sent >= 0) {
      data.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (auto ready = waitFor(true); !ready) return ready;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EPIPE || errno == ECONNRESET)
      return fail(ErrorKind::ProtocolViolation, "the server closed the connection during " + step_);
    return fail(ErrorKind::Transient, step_ + ": " + systemReason(errno));
  }
  return {};
}

}  // namespace daneguard::adapters::tls
