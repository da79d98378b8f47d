// Servers the prober tests talk to: `openssl s_server` for implicit TLS (an independent TLS
// implementation, with a second RSA/ECDSA certificate when asked), and an in-test server that
// speaks a scripted plaintext dialogue on loopback and then, if the script says so, accepts TLS
// with a test PKI chain. The scripted server serves one connection and records what it saw.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace daneguard::testing {

/// Blocking plaintext side of a scripted server (reads give up after a few seconds).
class PlainPeer {
 public:
  explicit PlainPeer(int fd) : fd_(fd) {}
  /// One line without CR LF; "" on EOF or timeout.
  std::string readLine();
  std::string readBytes(std::size_t count);
  /// Reads until `marker` has been received (or EOF); returns everything read.
  std::string readUntil(const std::string& marker);
  void send(std::string_view data);
  /// Waits until the client hangs up (or a few seconds pass): a server that never answers.
  void waitForHangUp();

 private:
  int fd_;
  std::string buffer_;
};

/// Runs on the server thread; returns true when the server should now accept TLS.
using Dialogue = std::function<bool(PlainPeer&)>;

struct ScriptedServerOptions {
  std::string address = "127.0.0.1";
  std::string key_type = "rsa2048";  // test PKI chain presented after the dialogue
  Dialogue dialogue;
};

class ScriptedTlsServer {
 public:
  explicit ScriptedTlsServer(ScriptedServerOptions options);
  ~ScriptedTlsServer();  // joins the thread
  ScriptedTlsServer(const ScriptedTlsServer&) = delete;
  ScriptedTlsServer& operator=(const ScriptedTlsServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  /// Waits for the connection to be over, then: did a TLS handshake complete on the server side?
  bool tlsCompleted();
  /// The SNI name the client sent ("" when none); valid after tlsCompleted().
  std::string serverName();

 private:
  void serve();

  ScriptedServerOptions options_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  bool tls_completed_ = false;
  std::string server_name_;
};

/// `openssl s_server -www` on address:port with a test PKI chain (and a second one via
/// -dcert/-dkey when `second_key_type` is set); extra arguments are appended.
class OpensslServer {
 public:
  OpensslServer(const std::string& key_type, const std::string& second_key_type = {},
                const std::vector<std::string>& extra = {},
                const std::string& address = "127.0.0.1");
  ~OpensslServer();
  OpensslServer(const OpensslServer&) = delete;
  OpensslServer& operator=(const OpensslServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string output() const;

 private:
  TempDir directory_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace daneguard::testing
