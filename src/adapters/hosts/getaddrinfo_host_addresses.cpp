#include "adapters/hosts/getaddrinfo_host_addresses.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <memory>

namespace daneguard::adapters::hosts {
namespace {

struct AddrinfoDeleter {
  void operator()(addrinfo* list) const { freeaddrinfo(list); }
};
using AddrinfoList = std::unique_ptr<addrinfo, AddrinfoDeleter>;

std::string addressText(const addrinfo& entry) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  const void* raw = nullptr;
  if (entry.ai_family == AF_INET)
    raw = &reinterpret_cast<const sockaddr_in*>(entry.ai_addr)->sin_addr;
  else
    raw = &reinterpret_cast<const sockaddr_in6*>(entry.ai_addr)->sin6_addr;
  if (inet_ntop(entry.ai_family, raw, text.data(), text.size()) == nullptr) return {};
  return text.data();
}

}  // namespace

Result<std::vector<std::string>> GetaddrinfoHostAddresses::resolve(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  const int status = getaddrinfo(host.c_str(), nullptr, &hints, &raw);
  AddrinfoList list(raw);
  if (status != 0) {
    // NotFound only when the name provably has no address, so that callers may treat it as
    // "no such host" while a broken resolver stays an error.
    ErrorKind kind = ErrorKind::Rejected;
    if (status == EAI_AGAIN) kind = ErrorKind::Transient;
    if (status == EAI_NONAME || status == EAI_NODATA) kind = ErrorKind::NotFound;
    return fail(kind, "cannot resolve " + host + ": " + gai_strerror(status));
  }
  std::vector<std::string> v4;
  std::vector<std::string> v6;
  for (const addrinfo* entry = list.get(); entry != nullptr; entry = entry->ai_next) {
    if (entry->ai_family != AF_INET && entry->ai_family != AF_INET6) continue;
    std::string text = addressText(*entry);
    auto& into = entry->ai_family == AF_INET ? v4 : v6;
    if (!text.empty() && std::ranges::find(into, text) == into.end())
      into.push_back(std::move(text));
  }
  v4.insert(v4.end(), v6.begin(), v6.end());
  if (v4.empty()) return fail(ErrorKind::NotFound, "cannot resolve " + host + ": no address");
  return v4;
}

}  // namespace daneguard::adapters::hosts
