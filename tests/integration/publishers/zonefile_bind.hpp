// A BIND 9 for the publisher tests, configured the way an operator would for daneguard's
// `zonefile` and `rfc2136` publishers, on 127.0.0.1 and a free port, in a private directory:
//
// * zone example.test. loaded from a file that $INCLUDEs daneguard's include file (created
//   empty, as the docs tell operators to), signed by BIND itself (dnssec-policy default;
//   inline-signing yes), reloaded with `rndc` through a control channel keyed with a fresh rndc
//   key. BIND 9.18 loads a changed file into an inline-signed zone only when its SOA serial
//   went up, so the reload command is a small script that raises the serial, then runs rndc:
//   what docs/publishers.md shows operators.
// * zone dyn.test., signed by BIND (dnssec-policy default), accepting RFC 2136 updates under
//   the least-privilege policy of the docs:
//   key "tlsa-key" may change TLSA at *._tcp.mail.dyn.test. and nothing else; key
//   "other-key" is known but may change nothing.
//
// ExampleZone::Dynamic serves example.test. like dyn.test. instead (key "tlsa-key" may change TLSA
// at *._tcp.mail.example.test.), for the external-program test whose script runs nsupdate.
//
// Failures throw std::runtime_error (test code). dig is the independent oracle.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/sandbox/child_process.hpp"
#include "support/temp_dir.hpp"

namespace daneguard::testing {

class ZoneFileBind {
 public:
  /// How example.test. is served: from the zone file with daneguard's include (the default),
  /// or, like dyn.test., as a signed dynamic zone (for publishers that send updates).
  enum class ExampleZone { IncludeFile, Dynamic };

  /// Why it cannot run here (named, rndc, dig, openssl missing); nullopt when it can.
  static std::optional<std::string> unavailableReason();

  explicit ZoneFileBind(ExampleZone example = ExampleZone::IncludeFile);
  ~ZoneFileBind();
  ZoneFileBind(const ZoneFileBind&) = delete;
  ZoneFileBind& operator=(const ZoneFileBind&) = delete;

  [[nodiscard]] const std::filesystem::path& directory() const { return dir_.path(); }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
  /// The include file the zone file names (daneguard's `file`).
  [[nodiscard]] std::filesystem::path includeFile() const {
    return dir_.path() / "tlsa" / "example.test.tlsa";
  }
  /// The reload command (raises the serial, runs rndc reload example.test).
  [[nodiscard]] std::filesystem::path reloadScript() const { return dir_.path() / "reload-zone"; }
  [[nodiscard]] std::filesystem::path tlsaKeyFile() const { return dir_.path() / "tlsa-key.key"; }
  [[nodiscard]] std::filesystem::path otherKeyFile() const { return dir_.path() / "other-key.key"; }
  /// A key with tlsa-key's name and a different secret (BADSIG at the server).
  [[nodiscard]] std::filesystem::path wrongSecretKeyFile() const {
    return dir_.path() / "wrong-secret.key";
  }

  /// TLSA records ("3 1 1 hex", lower case) served at `owner`; nullopt without an answer.
  /// `signed_rrset` is set to whether an RRSIG covering them came along.
  std::optional<std::multiset<std::string>> servedTlsa(const std::string& owner,
                                                       bool* signed_rrset = nullptr) const;
  [[nodiscard]] std::string log() const;

 private:
  void writeFiles(ExampleZone example);
  void waitUntilSigned(std::chrono::milliseconds timeout);

  TempDir dir_;
  std::uint16_t port_ = 0;
  std::uint16_t control_port_ = 0;
  adapters::sandbox::ChildProcess named_;
};

}  // namespace daneguard::testing
