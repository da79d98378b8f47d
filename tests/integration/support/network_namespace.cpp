#include "integration/support/network_namespace.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "support/run_command.hpp"

namespace daneguard::testing {
namespace {

using adapters::files::UniqueFd;

void run(const std::vector<std::string>& argv) {
  const auto result = runCommand(argv);
  if (result.exit_code != 0) {
    std::string command;
    for (const auto& arg : argv)
      command += (command.empty() ? "" : " ") + arg;
    throw std::runtime_error(command + " failed (exit " + std::to_string(result.exit_code) +
                             "): " + result.err);
  }
}

/// Brings lo up and adds the addresses, in the namespace the calling thread is in now.
void prepareLoopback(const std::vector<std::string>& addresses) {
  run({"ip", "link", "set", "lo", "up"});
  for (const auto& address : addresses) {
    const bool v6 = address.find(':') != std::string::npos;
    run({"ip", "addr", "add", address + (v6 ? "/128" : "/8"), "dev", "lo"});
  }
}

UniqueFd currentNamespace() {
  UniqueFd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!fd)
    throw std::runtime_error("cannot open /proc/thread-self/ns/net: " +
                             std::generic_category().message(errno));
  return fd;
}

}  // namespace

std::optional<std::string> NetworkNamespace::unavailableReason() {
  if (::geteuid() != 0) return "network namespaces need root (CAP_SYS_ADMIN)";
  if (!programExists("ip")) return "`ip` (Debian package iproute2) is not installed";
  // Try in a throwaway child: a container may forbid unshare even to root.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(::unshare(CLONE_NEWNET) == 0 ? 0 : 1);
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0)
    return "unshare(CLONE_NEWNET) is not permitted here";
  return std::nullopt;
}

NetworkNamespace NetworkNamespace::enterPrivate(
    const std::vector<std::string>& loopback_addresses) {
  auto original = currentNamespace();
  if (::unshare(CLONE_NEWNET) != 0)
    throw std::runtime_error("unshare(CLONE_NEWNET): " + std::generic_category().message(errno));
  NetworkNamespace entered(std::move(original), "");
  prepareLoopback(loopback_addresses);
  return entered;
}

NetworkNamespace NetworkNamespace::enterNamed(const std::string& name,
                                              const std::vector<std::string>& loopback_addresses) {
  auto original = currentNamespace();
  run({"ip", "netns", "add", name});
  NetworkNamespace entered(std::move(original), name);  // from here on the destructor cleans up
  const std::string path = "/run/netns/" + name;
  UniqueFd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!target || ::setns(target.get(), CLONE_NEWNET) != 0)
    throw std::runtime_error("cannot enter " + path + ": " +
                             std::generic_category().message(errno));
  prepareLoopback(loopback_addresses);
  return entered;
}

NetworkNamespace::~NetworkNamespace() {
  if (!original_) return;  // moved from
  ::setns(original_.get(), CLONE_NEWNET);
  if (!name_.empty()) runCommand({"ip", "netns", "del", name_});
}

}  // namespace daneguard::testing
