// A TCP connection to one address with one deadline for everything done on it: a non-blocking
// connect, then line- and byte-oriented reads and writes for the plaintext STARTTLS dialogue,
// and a wait helper the TLS handshake uses. Every error names the step that was running
// ("connect", "STARTTLS", "TLS handshake") so that the probe can tell the operator where it
// stopped; the endpoint prefix is added by the caller.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/files/unique_fd.hpp"
#include "core/bytes.hpp"
#include "core/error.hpp"

namespace daneguard::adapters::tls {

class ProbeConnection {
 public:
  using Clock = std::chrono::steady_clock;

  /// Connects to `address` (an IPv4 or IPv6 literal, "fe80::1%eth0" allowed) within `timeout`;
  /// the remaining time is what later steps may use.
  static Result<ProbeConnection> open(const std::string& address, std::uint16_t port,
                                      std::chrono::milliseconds timeout);

  /// The step named in timeout and I/O errors from now on ("STARTTLS", "TLS handshake").
  void setStep(std::string step) { step_ = std::move(step); }
  [[nodiscard]] const std::string& step() const { return step_; }

  /// One line without its CR LF (a bare LF is accepted too). Lines above 8 KiB are an error.
  Result<std::string> readLine();
  /// Exactly `count` bytes.
  Result<Bytes> readBytes(std::size_t count);
  /// Whatever arrives next (at least one byte), for protocols without line framing (XMPP).
  Result<std::string> readSome();
  Result<void> writeAll(std::string_view data);

  /// Bytes received but not consumed. Must be empty when TLS starts: anything the server sent
  /// after its "go ahead" would otherwise be mistaken for TLS (or injected plaintext).
  [[nodiscard]] std::size_t pendingBytes() const { return buffer_.size(); }

  /// Waits until the socket is readable (or writable); Transient timeout error at the deadline.
  Result<void> waitFor(bool writable);

  [[nodiscard]] int fd() const { return fd_.get(); }
  /// "timed out after 10 s during <step>".
  [[nodiscard]] Error timeoutError() const;

 private:
  ProbeConnection(files::UniqueFd fd, Clock::time_point deadline, std::chrono::milliseconds timeout)
      : fd_(std::move(fd)), deadline_(deadline), timeout_(timeout) {}
  /// Appends what the socket has to buffer_; an error at EOF or on a socket error.
  Result<void> fill();

  files::UniqueFd fd_;
  Clock::time_point deadline_;
  std::chrono::milliseconds timeout_;
  std::string step_ = "connect";
  std::string buffer_;
};

/// "10 s" or "2500 ms": how a timeout is written in messages.
std::string describeTimeout(std::chrono::milliseconds timeout);

}  // namespace daneguard::adapters::tls
