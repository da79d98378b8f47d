// Puts the calling test into its own network namespace whose loopback carries extra addresses
// (127.0.0.2, 127.0.0.3, ...), so name servers can listen on port 53 at their own addresses
// exactly as in production, and daneguard's code runs unchanged: every process started later
// (named, dig, nsupdate) inherits the namespace, and sockets opened by the test land in it.
//
// Namespaces belong to the calling THREAD; gtest runs each test in its own process under ctest,
// so entering one in a test is contained. The destructor returns the thread to the namespace it
// came from. Needs root (CAP_SYS_ADMIN) and iproute2's `ip`; unavailableReason() says why not.
// Failures throw std::runtime_error (this is test code).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "adapters/files/unique_fd.hpp"

namespace daneguard::testing {

class NetworkNamespace {
 public:
  /// Why namespaces cannot be used here (not root, no `ip`, unshare refused), or nullopt.
  static std::optional<std::string> unavailableReason();

  /// A new anonymous namespace (unshare(CLONE_NEWNET)); it disappears with its last process.
  static NetworkNamespace enterPrivate(const std::vector<std::string>& loopback_addresses);
  /// A named one (`ip netns add NAME`, visible in `ip netns list`), entered with setns();
  /// deleted again (`ip netns del NAME`) by the destructor.
  static NetworkNamespace enterNamed(const std::string& name,
                                     const std::vector<std::string>& loopback_addresses);

  ~NetworkNamespace();
  NetworkNamespace(NetworkNamespace&& other) noexcept = default;
  NetworkNamespace& operator=(NetworkNamespace&&) = delete;
  NetworkNamespace(const NetworkNamespace&) = delete;
  NetworkNamespace& operator=(const NetworkNamespace&) = delete;

  /// Empty for a private namespace.
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  NetworkNamespace(adapters::files::UniqueFd original, std::string name)
      : original_(std::move(original)), name_(std::move(name)) {}

  adapters::files::UniqueFd original_;  // the namespace to return to
  std::string name_;
};

}  // namespace daneguard::testing
