#include "adapters/resolver/system_address_lookup.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <memory>

namespace daneguard::adapters::resolver {
namespace {

struct AddrInfoFree {
  void operator()(addrinfo* list) const noexcept { freeaddrinfo(list); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoFree>;

Error noValidation(const std::string& what) {
  return Error{ErrorKind::Usage,
               what +
                   ": no validating DNS configured (the system resolver is used only for "
                   "addresses with --tlsa); give --trust-anchor or --resolver"};
}

}  // namespace

Result<ports::ValidatedTlsa> SystemAddressLookup::tlsa(const std::string& owner) {
  return fail(noValidation("TLSA lookup of " + owner));
}

Result<ports::ValidatedMx> SystemAddressLookup::mx(const std::string& domain) {
  return fail(noValidation("MX lookup of " + domain));
}

Result<ports::ValidatedAddresses> SystemAddressLookup::addresses(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  const int status = ::getaddrinfo(host.c_str(), nullptr, &hints, &raw);
  AddrInfoPtr list(raw);
  ports::ValidatedAddresses result;
  result.host = host;
  result.status = ports::DnssecStatus::Insecure;
  if (status == EAI_NONAME || status == EAI_NODATA) return result;
  if (status != 0) {
    return fail(status == EAI_AGAIN ? ErrorKind::Transient : ErrorKind::Rejected,
                "looking up the addresses of " + host +
                    " with the system resolver: " + gai_strerror(status));
  }
  std::vector<std::string> v4;
  std::vector<std::string> v6;
  for (const addrinfo* entry = list.get(); entry != nullptr; entry = entry->ai_next) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    const void* address = nullptr;
    if (entry->ai_family == AF_INET) {
      address = &reinterpret_cast<const sockaddr_in*>(entry->ai_addr)->sin_addr;
    } else if (entry->ai_family == AF_INET6) {
      address = &reinterpret_cast<const sockaddr_in6*>(entry->ai_addr)->sin6_addr;
    } else {
      continue;
    }
    if (inet_ntop(entry->ai_family, address, text.data(), text.size()) == nullptr) continue;
    auto& bucket = entry->ai_family == AF_INET ? v4 : v6;
    if (std::find(bucket.begin(), bucket.end(), text.data()) == bucket.end())
      bucket.emplace_back(text.data());
  }
  result.addresses = std::move(v4);
  result.addresses.insert(result.addresses.end(), v6.begin(), v6.end());
  return result;
}

}  // namespace daneguard::adapters::resolver
