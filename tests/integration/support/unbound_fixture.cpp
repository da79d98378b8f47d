#include "integration/support/unbound_fixture.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <thread>

#include "integration/support/bind_fixture.hpp"
#include "support/run_command.hpp"

namespace daneguard::testing {
namespace {

std::string unboundAddress(const ports::DnsServer& server) {
  return server.host + "@" + std::to_string(server.port);
}

}  // namespace

UnboundFixture::UnboundFixture(UnboundFixtureOptions options) : options_(std::move(options)) {
  auto program = adapters::sandbox::findProgram("unbound");
  if (!program) throw std::runtime_error(program.error().message + " (Debian package unbound)");
  endpoint_ = ports::DnsServer{options_.address, findFreePort({options_.address})};

  std::string config = fmt::format(
      "server:\n"
      "  interface: {0}@{1}\n"
      "  port: {1}\n"
      "  do-daemonize: no\n"
      "  username: \"\"\n"
      "  chroot: \"\"\n"
      "  directory: \"{2}\"\n"
      "  pidfile: \"{2}/unbound.pid\"\n"
      "  logfile: \"\"\n"
      "  use-syslog: no\n"
      "  verbosity: 1\n"
      "  val-log-level: 2\n"
      "  num-threads: 1\n"
      "  access-control: 127.0.0.0/8 allow\n"
      "  access-control: ::1/128 allow\n"
      "  do-not-query-localhost: no\n"
      "  local-zone: \"test.\" nodefault\n"
      "  cache-max-ttl: 5\n"
      "  cache-max-negative-ttl: 1\n"
      "  module-config: \"validator iterator\"\n",
      endpoint_.host, endpoint_.port, directory_.path().string());
  for (const auto& anchor : options_.trust_anchor_files)
    config += fmt::format("  trust-anchor-file: \"{}\"\n", anchor.string());
  config += "remote-control:\n  control-enable: no\n";
  for (const UnboundStubZone& stub : options_.stub_zones) {
    config += fmt::format("stub-zone:\n  name: \"{}\"\n  stub-addr: {}\n", stub.zone,
                          unboundAddress(stub.server));
  }
  const auto config_path = directory_.write("unbound.conf", config);
  auto started = adapters::sandbox::ChildProcess::spawn(
      *program, {"-d", "-c", config_path.string()}, directory_.path() / "unbound.log");
  if (!started) throw std::runtime_error(started.error().message);
  process_ = std::move(*started);

  // Ready once it answers a question about the first stub zone (any rcode will do).
  const auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
  const std::string probe_name = options_.stub_zones.empty() ? "." : options_.stub_zones[0].zone;
  while (true) {
    const CommandResult result =
        runCommand({"dig", "+time=1", "+tries=1", "-p", std::to_string(endpoint_.port),
                    "@" + endpoint_.host, probe_name, "SOA"});
    if (result.exit_code == 0 && result.out.find("status:") != std::string::npos) break;
    if (!process_.running() || std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("unbound did not become ready on " + endpoint_.toString() + ":\n" +
                               log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

UnboundFixture::~UnboundFixture() {
  process_.stop();
}

std::string UnboundFixture::log() const {
  return readTextFile(directory_.path() / "unbound.log");
}

std::string UnboundFixture::dig(const std::string& name, const std::string& type) const {
  return runCommand({"dig", "+dnssec", "+time=2", "+tries=1", "-p", std::to_string(endpoint_.port),
                     "@" + endpoint_.host, name, type})
      .out;
}

}  // namespace daneguard::testing
