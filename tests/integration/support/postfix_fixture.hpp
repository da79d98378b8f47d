// A real Postfix (Debian's postfix package) accepting SMTP with STARTTLS on loopback, run from
// its own configuration, queue and data folders in a TempDir, so tests can probe and
// DANE-authenticate a production MTA and swap its certificates the way a deploy hook would.
//
// Recipe: testbed-notes.md §4. Mail is accepted and discarded (every transport is `discard`),
// nothing leaves the machine. smtpd_tls_chain_files lists, for every chain, a key file and a
// certificate file (leaf + intermediates) inside the fixture folder; a dual RSA+ECDSA server is
// simply two chains. replaceChain() rewrites those files; the server keeps serving the old ones
// until reload(), exactly like a production Postfix. Postfix must run as root (the tests do).
//
// Failures throw std::runtime_error with the maillog tail (this is test code).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace daneguard::testing {

/// A private key file and its certificate file (leaf first, then intermediates), both PEM.
struct PostfixChainFiles {
  std::filesystem::path key;
  std::filesystem::path certificates;
};

struct PostfixFixtureOptions {
  /// Addresses smtpd listens on (all on the same port): "127.0.0.1", "::1".
  std::vector<std::string> addresses{"127.0.0.1"};
  std::uint16_t port = 0;                      // 0: one that is free on every address
  std::string hostname = "mail.example.test";  // myhostname: the EHLO reply and 220 banner
  /// Chains copied into the fixture at start; at least one (two for RSA + ECDSA).
  std::vector<PostfixChainFiles> chains;
  std::chrono::milliseconds ready_timeout{15000};
};

class PostfixFixture {
 public:
  /// Writes main.cf/master.cf, starts Postfix and waits for its 220 banner on every address.
  explicit PostfixFixture(PostfixFixtureOptions options);
  /// Stops Postfix (postfix stop; SIGKILL to the master if it lingers) and removes every file.
  ~PostfixFixture();
  PostfixFixture(const PostfixFixture&) = delete;
  PostfixFixture& operator=(const PostfixFixture&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::vector<std::string>& addresses() const { return options_.addresses; }
  [[nodiscard]] const std::string& hostname() const { return options_.hostname; }
  /// The TempDir holding everything (config in postfix/, certificates in tls/).
  [[nodiscard]] const std::filesystem::path& directory() const { return directory_.path(); }
  /// The folder to pass to `postfix -c` / `postconf -c`.
  [[nodiscard]] std::filesystem::path configDirectory() const;
  /// The files smtpd_tls_chain_files names, index i = options.chains[i]. A deploy step under
  /// test may write these directly, then call reload() (or run reloadCommand()).
  [[nodiscard]] const std::vector<PostfixChainFiles>& servedChainFiles() const { return served_; }
  /// argv of the reload: {"postfix", "-c", DIR, "reload"}; for deploy hooks written by tests.
  [[nodiscard]] std::vector<std::string> reloadCommand() const;

  /// Copies `replacement` over served chain `index` (no reload: Postfix keeps the old one).
  void replaceChain(std::size_t index, const PostfixChainFiles& replacement) const;
  /// `postfix reload`; new smtpd processes read the chain files again at once.
  void reload() const;
  /// Stops Postfix now (the destructor does it too); idempotent.
  void stop();
  [[nodiscard]] bool running() const;
  [[nodiscard]] pid_t masterPid() const { return master_pid_; }
  /// The whole Postfix log (maillog_file), for failure messages.
  [[nodiscard]] std::string maillog() const;

 private:
  void writeConfiguration() const;
  /// Runs `postfix -c DIR <verb>` under script(1), because postfix reports errors only to a tty
  /// or syslog (there is no syslog here). Throws with the output when it fails.
  void postfixCommand(const std::string& verb) const;
  void waitUntilReady() const;

  PostfixFixtureOptions options_;
  TempDir directory_;
  std::uint16_t port_ = 0;
  std::vector<PostfixChainFiles> served_;
  pid_t master_pid_ = -1;
};

}  // namespace daneguard::testing
