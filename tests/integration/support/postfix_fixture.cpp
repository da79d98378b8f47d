#include "integration/support/postfix_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "integration/support/bind_fixture.hpp"  // findFreePort, processAlive
#include "support/run_command.hpp"

namespace daneguard::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// master.cf's and smtpd_tls_chain_files' way of writing an endpoint: "[::1]:25", "127.0.0.1:25".
std::string listenerName(const std::string& address, std::uint16_t port) {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

/// True when a TCP connection to address:port yields a line starting "220 " before `deadline`.
bool bannerSeen(const std::string& address, std::uint16_t port, Clock::time_point deadline) {
  const bool v6 = address.find(':') != std::string::npos;
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (v6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    if (inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr) != 1) return false;
    length = sizeof *in6;
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(port);
    if (inet_pton(AF_INET, address.c_str(), &in4->sin_addr) != 1) return false;
    length = sizeof *in4;
  }
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool seen = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&storage), length) == 0) {
    std::string received;
    while (!seen && Clock::now() < deadline) {
      pollfd readable{fd, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (::poll(&readable, 1, static_cast<int>(std::max<long>(left.count(), 1))) <= 0) break;
      char buffer[512];
      const ssize_t got = ::read(fd, buffer, sizeof buffer);
      if (got <= 0) break;
      received.append(buffer, static_cast<std::size_t>(got));
      seen = received.find("220 ") != std::string::npos;
    }
    if (seen) (void)::write(fd, "QUIT\r\n", 6);
  }
  ::close(fd);
  return seen;
}

std::string tail(const std::string& text, std::size_t bytes = 2000) {
  return text.size() <= bytes ? text : text.substr(text.size() - bytes);
}

}  // namespace

PostfixFixture::PostfixFixture(PostfixFixtureOptions options) : options_(std::move(options)) {
  if (options_.chains.empty()) throw std::runtime_error("PostfixFixture needs at least one chain");
  if (options_.addresses.empty()) throw std::runtime_error("PostfixFixture needs an address");
  port_ = options_.port != 0 ? options_.port : findFreePort(options_.addresses);

  // Postfix's unprivileged daemons must traverse the folder; mkdtemp made it 0700.
  fs::permissions(directory(), fs::perms::others_exec | fs::perms::group_exec,
                  fs::perm_options::add);
  for (const char* folder : {"postfix", "queue", "data", "tls"})
    fs::create_directories(directory() / folder);
  // master.lock lives in data_directory, which Postfix insists the mail owner owns.
  runCommand({"chown", "postfix", (directory() / "data").string()});

  for (std::size_t i = 0; i < options_.chains.size(); ++i) {
    served_.push_back({directory() / "tls" / ("key-" + std::to_string(i) + ".pem"),
                       directory() / "tls" / ("chain-" + std::to_string(i) + ".pem")});
    replaceChain(i, options_.chains[i]);
  }
  writeConfiguration();
  postfixCommand("start");
  std::istringstream pid_text(readTextFile(directory() / "queue" / "pid" / "master.pid"));
  pid_text >> master_pid_;  // the file pads the number with spaces
  try {
    waitUntilReady();
  } catch (...) {
    stop();
    throw;
  }
}

PostfixFixture::~PostfixFixture() {
  try {
    stop();
  } catch (...) {  // a destructor must not throw; the TempDir goes anyway
  }
}

fs::path PostfixFixture::configDirectory() const {
  return directory() / "postfix";
}

std::vector<std::string> PostfixFixture::reloadCommand() const {
  return {"postfix", "-c", configDirectory().string(), "reload"};
}

void PostfixFixture::writeConfiguration() const {
  const std::string dir = directory().string();
  std::string interfaces;
  std::string chain_files;
  for (const auto& address : options_.addresses)
    interfaces += (interfaces.empty() ? "" : ", ") + address;
  for (const auto& chain : served_)
    chain_files +=
        (chain_files.empty() ? "" : ", ") + chain.key.string() + ", " + chain.certificates.string();

  std::ostringstream main_cf;
  main_cf << "compatibility_level = 3.6\n"
          << "queue_directory = " << dir << "/queue\n"
          << "data_directory = " << dir << "/data\n"
          << "mail_owner = postfix\n"
          << "myhostname = " << options_.hostname << "\n"
          << "mydestination =\n"
          << "inet_interfaces = " << interfaces << "\n"
          << "inet_protocols = all\n"
          << "mynetworks = 127.0.0.0/8 [::1]/128\n"
          << "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n"
          // Accept and drop: nothing ever leaves the machine.
          << "default_transport = discard\nrelay_transport = discard\nlocal_transport = discard\n"
          << "alias_maps =\nalias_database =\n"
          << "smtpd_tls_security_level = may\n"
          << "smtpd_tls_chain_files = " << chain_files << "\n"
          << "maillog_file_prefixes = " << dir << "\n"
          << "maillog_file = " << dir << "/postfix/maillog\n";
  std::ostringstream master_cf;
  for (const auto& address : options_.addresses)
    master_cf << listenerName(address, port_) << " inet n - n - - smtpd\n";
  // The services Postfix needs to accept and discard mail, none chrooted (no chroot set up).
  master_cf << "pickup unix n - n 60 1 pickup\n"
               "cleanup unix n - n - 0 cleanup\n"
               "qmgr unix n - n 300 1 qmgr\n"
               "tlsmgr unix - - n 1000? 1 tlsmgr\n"
               "rewrite unix - - n - - trivial-rewrite\n"
               "bounce unix - - n - 0 bounce\n"
               "defer unix - - n - 0 bounce\n"
               "trace unix - - n - 0 bounce\n"
               "verify unix - - n - 1 verify\n"
               "flush unix n - n 1000? 0 flush\n"
               "proxymap unix - - n - - proxymap\n"
               "smtp unix - - n - - smtp\n"
               "relay unix - - n - - smtp\n"
               "showq unix n - n - - showq\n"
               "error unix - - n - - error\n"
               "retry unix - - n - - error\n"
               "discard unix - - n - - discard\n"
               "anvil unix - - n - 1 anvil\n"
               "scache unix - - n - 1 scache\n"
               "postlog unix-dgram n - n - 1 postlogd\n";
  directory_.write("postfix/main.cf", main_cf.str());
  directory_.write("postfix/master.cf", master_cf.str());
}

void PostfixFixture::postfixCommand(const std::string& verb) const {
  const std::string command = "postfix -c '" + configDirectory().string() + "' " + verb;
  const CommandResult result = runCommand({"script", "-qec", command, "/dev/null"});
  if (result.exit_code != 0)
    throw std::runtime_error("`" + command + "` failed (exit " + std::to_string(result.exit_code) +
                             "): " + result.out + result.err + "\nmaillog:\n" + tail(maillog()));
}

void PostfixFixture::waitUntilReady() const {
  const auto deadline = Clock::now() + options_.ready_timeout;
  for (const auto& address : options_.addresses) {
    while (!bannerSeen(address, port_, deadline)) {
      if (Clock::now() >= deadline)
        throw std::runtime_error("Postfix sent no 220 banner on " + listenerName(address, port_) +
                                 "\nmaillog:\n" + tail(maillog()));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

void PostfixFixture::replaceChain(std::size_t index, const PostfixChainFiles& replacement) const {
  const PostfixChainFiles& target = served_.at(index);
  // Write-then-rename, so a concurrently starting smtpd never reads half a file.
  for (const auto& [from, to] : {std::pair{replacement.key, target.key},
                                 std::pair{replacement.certificates, target.certificates}}) {
    const fs::path staging = to.string() + ".new";
    fs::copy_file(from, staging, fs::copy_options::overwrite_existing);
    fs::rename(staging, to);
  }
}

void PostfixFixture::reload() const {
  postfixCommand("reload");
}

void PostfixFixture::stop() {
  if (master_pid_ <= 0) return;
  const pid_t pid = std::exchange(master_pid_, -1);
  const CommandResult ignored = runCommand(
      {"script", "-qec", "postfix -c '" + configDirectory().string() + "' stop", "/dev/null"});
  (void)ignored;
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (processAlive(pid) && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (processAlive(pid)) ::kill(pid, SIGKILL);  // its children exit when the master is gone
}

bool PostfixFixture::running() const {
  return master_pid_ > 0 && processAlive(master_pid_);
}

std::string PostfixFixture::maillog() const {
  return readTextFile(configDirectory() / "maillog");
}

}  // namespace daneguard::testing
