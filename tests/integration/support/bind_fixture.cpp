#include "integration/support/bind_fixture.hpp"

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "adapters/sandbox/child_process.hpp"
#include "adapters/sandbox/loopback_addresses.hpp"
#include "support/run_command.hpp"

namespace daneguard::testing {
namespace {

namespace sandbox = adapters::sandbox;

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The secret of a BIND key file; tests use it as a canary that must never appear in messages.
std::string secretOf(const std::filesystem::path& key_file) {
  static const std::regex secret(R"(secret\s+"([^"]+)\")");
  const std::string text = readFile(key_file);
  std::smatch match;
  if (!std::regex_search(text, match, secret))
    throw std::runtime_error(key_file.string() + " holds no secret");
  return match[1];
}

template <class T>
T orThrow(Result<T> result) {
  if (!result) throw std::runtime_error(result.error().message);
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

}  // namespace

bool processAlive(pid_t pid) {
  return sandbox::processAlive(pid);
}

std::uint16_t findFreePort(const std::vector<std::string>& addresses) {
  return orThrow(sandbox::findFreePort(addresses));
}

BindFixture::BindFixture(BindFixtureOptions options) : options_(std::move(options)) {
  sandbox::DnsSandboxOptions settings;
  settings.zone = options_.zone;
  settings.primary_address = options_.primary_address;
  settings.secondary_addresses = {options_.secondary_address};
  settings.start_secondaries = false;  // addSecondary() starts it; ns2 is in the NS set anyway
  settings.port = options_.port;
  settings.update_key_name = options_.tsig_key_name;
  settings.tsig_algorithm = options_.tsig_algorithm;
  settings.update_permission = sandbox::UpdatePermission::TlsaOnly;
  settings.unprivileged_key_names = {"readonly-key"};
  settings.default_ttl = options_.default_ttl;
  settings.soa_ttl = options_.soa_ttl;
  settings.soa_minimum = options_.soa_minimum;
  const bool v6 = options_.primary_address.find(':') != std::string::npos;
  settings.extra_records = std::string("mail ") + (v6 ? "AAAA " : "A ") + options_.primary_address +
                           "\n" + options_.extra_records;
  settings.ready_timeout = options_.ready_timeout;
  sandbox_ = orThrow(sandbox::DnsSandbox::start(std::move(settings)));
  tsig_secret_ = secretOf(sandbox_->updateKey().path);
  readonly_secret_ = secretOf(sandbox_->unprivilegedKeys().front().path);
}

BindFixture::~BindFixture() = default;

void BindFixture::addSecondary() {
  secondary_added_ = true;
  startSecondary();
}

void BindFixture::startSecondary() {
  if (!secondary_added_) throw std::logic_error("startSecondary() before addSecondary()");
  orThrow(sandbox_->startServer(1, sandbox::StartMode::CatchUp));
}

void BindFixture::stopSecondary() {
  orThrow(sandbox_->stopServer(1));
}

bool BindFixture::secondaryRunning() const {
  return sandbox_->isRunning(1);
}

void BindFixture::notifySecondary() const {
  orThrow(sandbox_->notify(1));
}

bool BindFixture::waitForSecondarySync(std::chrono::milliseconds timeout) const {
  return sandbox_->waitUntilInSync(1, timeout).has_value();
}

std::vector<std::string> BindFixture::digAnswer(const ports::DnsServer& server,
                                                const std::string& name,
                                                const std::string& type) const {
  auto result = runCommand({"dig", "+norec", "+dnssec", "+time=1", "+tries=1", "+noall", "+answer",
                            "@" + server.host, "-p", std::to_string(server.port), name, type});
  std::vector<std::string> lines;
  std::istringstream out(result.out);
  for (std::string line; std::getline(out, line);)
    if (!line.empty() && line[0] != ';') lines.push_back(line);
  return lines;
}

std::optional<std::uint32_t> BindFixture::serialAt(const ports::DnsServer& server) const {
  for (const auto& line : digAnswer(server, options_.zone, "SOA")) {
    std::istringstream fields(line);
    std::string owner, ttl, klass, type, mname, rname;
    std::uint32_t serial = 0;
    if (fields >> owner >> ttl >> klass >> type >> mname >> rname >> serial && type == "SOA")
      return serial;
  }
  return std::nullopt;
}

std::string BindFixture::primaryLog() const {
  return readFile(sandbox_->logPath(0));
}

}  // namespace daneguard::testing
