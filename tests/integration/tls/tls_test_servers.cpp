#include "integration/tls/tls_test_servers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include "adapters/openssl/handles.hpp"
#include "integration/support/bind_fixture.hpp"  // findFreePort
#include "support/run_command.hpp"
#include "support/test_pki.hpp"

namespace daneguard::testing {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_storage socketAddress(const std::string& address, std::uint16_t port, socklen_t& length) {
  sockaddr_storage storage{};
  if (address.find(':') != std::string::npos) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr);
    length = sizeof *in6;
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(port);
    inet_pton(AF_INET, address.c_str(), &in4->sin_addr);
    length = sizeof *in4;
  }
  return storage;
}

bool acceptsConnections(const std::string& address, std::uint16_t port) {
  socklen_t length = 0;
  const sockaddr_storage target = socketAddress(address, port, length);
  const int fd = ::socket(target.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&target), length) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::string PlainPeer::readLine() {
  for (;;) {
    if (const auto end = buffer_.find('\n'); end != std::string::npos) {
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    char chunk[1024];
    const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got <= 0) return std::exchange(buffer_, {});
    buffer_.append(chunk, static_cast<std::size_t>(got));
  }
}

std::string PlainPeer::readBytes(std::size_t count) {
  while (buffer_.size() < count) {
    char chunk[1024];
    const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got <= 0) break;
    buffer_.append(chunk, static_cast<std::size_t>(got));
  }
  std::string bytes = buffer_.substr(0, count);
  buffer_.erase(0, bytes.size());
  return bytes;
}

std::string PlainPeer::readUntil(const std::string& marker) {
  while (buffer_.find(marker) == std::string::npos) {
    char chunk[1024];
    const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got <= 0) break;
    buffer_.append(chunk, static_cast<std::size_t>(got));
  }
  return std::exchange(buffer_, {});
}

void PlainPeer::send(std::string_view data) {
  ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
}

void PlainPeer::waitForHangUp() {
  char chunk[256];
  const auto until = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < until && ::recv(fd_, chunk, sizeof chunk, 0) > 0) {
  }
}

ScriptedTlsServer::ScriptedTlsServer(ScriptedServerOptions options) : options_(std::move(options)) {
  socklen_t length = 0;
  sockaddr_storage address = socketAddress(options_.address, 0, length);
  listener_ = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener_, 4) != 0)
    throw std::runtime_error("scripted server: cannot listen on " + options_.address);
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  thread_ = std::thread([this] { serve(); });
}

ScriptedTlsServer::~ScriptedTlsServer() {
  if (thread_.joinable()) thread_.join();
  if (listener_ >= 0) ::close(listener_);
}

bool ScriptedTlsServer::tlsCompleted() {
  if (thread_.joinable()) thread_.join();
  const std::lock_guard lock(mutex_);
  return tls_completed_;
}

std::string ScriptedTlsServer::serverName() {
  if (thread_.joinable()) thread_.join();
  const std::lock_guard lock(mutex_);
  return server_name_;
}

void ScriptedTlsServer::serve() {
  // The client may hang up mid-handshake; that must not kill the test process.
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);

  pollfd incoming{listener_, POLLIN, 0};
  if (::poll(&incoming, 1, 15000) <= 0) return;  // the test never connected
  const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  const timeval patience{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &patience, sizeof patience);
  PlainPeer peer(fd);
  if (options_.dialogue(peer)) {
    using namespace adapters::openssl;
    const auto pki = testPkiDir(options_.key_type);
    SslCtxPtr context(SSL_CTX_new(TLS_server_method()));
    SSL_CTX_use_certificate_chain_file(context.get(), (pki / "fullchain.pem").c_str());
    SSL_CTX_use_PrivateKey_file(context.get(), (pki / "leaf.key").c_str(), SSL_FILETYPE_PEM);
    SslPtr ssl(SSL_new(context.get()));
    SSL_set_fd(ssl.get(), fd);
    if (SSL_accept(ssl.get()) == 1) {
      {
        const std::lock_guard lock(mutex_);
        tls_completed_ = true;
        const char* name = SSL_get_servername(ssl.get(), TLSEXT_NAMETYPE_host_name);
        server_name_ = name != nullptr ? name : "";
      }
      char sink[256];
      while (SSL_read(ssl.get(), sink, sizeof sink) > 0) {
      }
    }
    ERR_clear_error();
  }
  ::close(fd);
}

OpensslServer::OpensslServer(const std::string& key_type, const std::string& second_key_type,
                             const std::vector<std::string>& extra, const std::string& address) {
  port_ = findFreePort({address});
  const bool v6 = address.find(':') != std::string::npos;
  const auto pki = testPkiDir(key_type);
  std::vector<std::string> argv{"openssl",
                                "s_server",
                                "-www",
                                "-accept",
                                (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port_),
                                "-cert",
                                (pki / "leaf.pem").string(),
                                "-key",
                                (pki / "leaf.key").string(),
                                "-cert_chain",
                                (pki / "chain.pem").string()};
  if (!second_key_type.empty()) {
    const auto second = testPkiDir(second_key_type);
    for (const std::string& argument :
         {std::string("-dcert"), (second / "leaf.pem").string(), std::string("-dkey"),
          (second / "leaf.key").string(), std::string("-dcert_chain"),
          (second / "chain.pem").string()})
      argv.push_back(argument);
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  pid_ = spawnWithFiles(argv, "/dev/null", directory_.path() / "out", directory_.path() / "err");
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!acceptsConnections(address, port_)) {
    if (Clock::now() > deadline) throw std::runtime_error("s_server did not start: " + output());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

OpensslServer::~OpensslServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::string OpensslServer::output() const {
  return readTextFile(directory_.path() / "out") + readTextFile(directory_.path() / "err");
}

}  // namespace daneguard::testing
