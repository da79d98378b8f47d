// Starts one of the Python provider fakes (fake_cloudflare.py, fake_desec.py) over HTTPS on a
// free loopback port, with a CA and server certificate made by the openssl CLI for this test,
// and talks to its /_fake/ control paths with the curl CLI. Also a Clock that only records the
// sleeps asked of it, so retry tests take no time.
// Failures throw std::runtime_error (this is test code).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ports/clock.hpp"
#include "support/temp_dir.hpp"

namespace daneguard::testing {

class HttpsFake {
 public:
  /// Why fakes cannot run here (python3, openssl or curl missing).
  static std::optional<std::string> unavailableReason();

  /// `script` is a file name in tests/integration/publishers_api/; `arguments` are its own.
  HttpsFake(const std::string& script, const std::vector<std::string>& arguments);
  ~HttpsFake();
  HttpsFake(const HttpsFake&) = delete;
  HttpsFake& operator=(const HttpsFake&) = delete;

  /// https://127.0.0.1:PORT
  [[nodiscard]] std::string baseUrl() const;
  /// The test CA that issued the fake's certificate.
  [[nodiscard]] const std::filesystem::path& caFile() const { return ca_file_; }
  /// A mode-0600 file holding `token` alone.
  [[nodiscard]] std::filesystem::path tokenFile(const std::string& token) const;
  /// curl --cacert CA against a /_fake/ control path: {HTTP status, body}.
  std::pair<int, std::string> control(const std::string& method, const std::string& path,
                                      const std::string& body = {}) const;
  /// The fake's log so far (stderr of the script).
  [[nodiscard]] std::string log() const;

 private:
  TempDir dir_;
  std::filesystem::path ca_file_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

/// A Clock whose sleeps only advance its own time and are recorded.
class RecordingClock final : public ports::Clock {
 public:
  std::chrono::sys_seconds now() override { return now_; }
  void sleepFor(std::chrono::seconds duration) override {
    sleeps.push_back(duration);
    now_ += duration;
  }
  void sleepUntil(std::chrono::sys_seconds instant) override {
    if (instant > now_) sleepFor(instant - now_);
  }
  void sleepUntilJustBefore(std::chrono::sys_seconds instant) override { sleepUntil(instant); }

  std::vector<std::chrono::seconds> sleeps;

 private:
  std::chrono::sys_seconds now_{std::chrono::seconds(1'800'000'000)};
};

}  // namespace daneguard::testing
