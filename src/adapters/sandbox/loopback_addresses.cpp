#include "adapters/sandbox/loopback_addresses.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>

#include "adapters/files/unique_fd.hpp"

namespace daneguard::adapters::sandbox {
namespace {

using files::UniqueFd;

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  [[nodiscard]] int family() const { return storage.ss_family; }
  [[nodiscard]] const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

Result<SocketAddress> socketAddress(const std::string& address, std::uint16_t port) {
  SocketAddress result;
  if (address.find(':') != std::string::npos) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&result.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    if (inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr) != 1)
      return fail(ErrorKind::InvalidInput, "'" + address + "' is not an IPv6 address");
    result.length = sizeof *in6;
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&result.storage);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(port);
    if (inet_pton(AF_INET, address.c_str(), &in4->sin_addr) != 1)
      return fail(ErrorKind::InvalidInput, "'" + address + "' is not an IPv4 address");
    result.length = sizeof *in4;
  }
  return result;
}

std::string endpointText(const std::string& address, std::uint16_t port) {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

/// Binds UDP, then TCP on the same port; port 0 lets the kernel choose. Returns the port.
/// A port that is taken is Transient; an address that cannot be bound at all (port 0 refused)
/// is Config, so that a caller searching for a free port retries only the former.
Result<std::uint16_t> bindBoth(const std::string& address, std::uint16_t port) {
  auto where = socketAddress(address, port);
  if (!where) return fail(where.error());
  UniqueFd udp(::socket(where->family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
  UniqueFd tcp(::socket(where->family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!udp || !tcp)
    return fail(ErrorKind::Transient, "cannot create a socket for " + address + ": " +
                                          std::generic_category().message(errno));
  const auto busy = [&](const char* protocol, std::uint16_t tried) {
    return fail(tried == 0 ? ErrorKind::Config : ErrorKind::Transient,
                endpointText(address, tried) + " (" + protocol +
                    ") is not available: " + std::generic_category().message(errno));
  };
  if (::bind(udp.get(), where->get(), where->length) != 0) return busy("UDP", port);
  SocketAddress actual;
  actual.length = sizeof actual.storage;
  ::getsockname(udp.get(), reinterpret_cast<sockaddr*>(&actual.storage), &actual.length);
  const std::uint16_t chosen =
      ntohs(actual.family() == AF_INET6
                ? reinterpret_cast<const sockaddr_in6*>(&actual.storage)->sin6_port
                : reinterpret_cast<const sockaddr_in*>(&actual.storage)->sin_port);
  auto tcp_where = socketAddress(address, chosen);
  if (::bind(tcp.get(), tcp_where->get(), tcp_where->length) != 0) return busy("TCP", chosen);
  return chosen;
}

struct IfAddrsFree {
  void operator()(ifaddrs* list) const noexcept { ::freeifaddrs(list); }
};

}  // namespace

bool addressConfigured(const std::string& address) {
  auto wanted = socketAddress(address, 0);
  if (!wanted) return false;
  ifaddrs* raw = nullptr;
  if (::getifaddrs(&raw) != 0) return false;
  const std::unique_ptr<ifaddrs, IfAddrsFree> list(raw);
  for (const ifaddrs* entry = raw; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != wanted->family()) continue;
    if (wanted->family() == AF_INET) {
      const auto* have = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
      const auto* want = reinterpret_cast<const sockaddr_in*>(&wanted->storage);
      if (have->sin_addr.s_addr == want->sin_addr.s_addr) return true;
    } else {
      const auto* have = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr);
      const auto* want = reinterpret_cast<const sockaddr_in6*>(&wanted->storage);
      if (std::memcmp(&have->sin6_addr, &want->sin6_addr, sizeof have->sin6_addr) == 0) return true;
    }
  }
  return false;
}

Result<void> checkPortFree(const std::string& address, std::uint16_t port) {
  auto bound = bindBoth(address, port);
  if (!bound) return fail(bound.error());
  return {};
}

Result<std::uint16_t> findFreePort(const std::vector<std::string>& addresses) {
  if (addresses.empty()) return fail(ErrorKind::Internal, "findFreePort() needs an address");
  Error last{ErrorKind::Transient, "no attempt made"};
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto port = bindBoth(addresses.front(), 0);
    if (!port && port.error().kind != ErrorKind::Transient)
      return fail(port.error());  // the address itself is unusable
    if (!port) {                  // the kernel's free UDP port is taken for TCP: ask for another
      last = port.error();
      continue;
    }
    bool free_everywhere = true;
    for (std::size_t i = 1; i < addresses.size() && free_everywhere; ++i) {
      auto other = bindBoth(addresses[i], *port);
      if (!other) {
        free_everywhere = false;
        last = other.error();
      }
    }
    if (free_everywhere) return *port;
  }
  return fail(ErrorKind::Transient,
              "found no port free on every sandbox address; last problem: " + last.message);
}

}  // namespace daneguard::adapters::sandbox
