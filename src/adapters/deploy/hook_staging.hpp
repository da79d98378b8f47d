// Puts a certificate and its key where a deploy hook can read them, for the duration of one
// hook run, and builds the hook's environment (the contract is docs/hooks.md).
//
// Layout: <state dir>/hook-staging-XXXXXX/ (mode 0700, fresh for every run) holding cert.pem
// (leaf), chain.pem (issuers, leaf excluded; empty when there are none), fullchain.pem (leaf
// then issuers) and privkey.pem (PKCS#8), each 0600 and written with writeFileAtomically.
// The StagedCertificate object owns the directory and removes it with everything in it when it
// dies, whether the hook succeeded or not. A crash can leave one behind (still 0700 inside the
// 0700 state directory); removeStaleHookStaging() clears those and must only be called while
// holding the state lock.
//
// Environment for the hook: DANEGUARD_CERT_FILE, DANEGUARD_KEY_FILE, DANEGUARD_CHAIN_FILE,
// DANEGUARD_FULLCHAIN_FILE, DANEGUARD_SERVICE, DANEGUARD_HOSTS (space-separated), and for
// DaneBot compatibility DANEBOT_CERT (PEM of the leaf only, as DaneBot passes) and DANEBOT_KEY
// (PEM of the key in the "traditional" form DaneBot passes, e.g. BEGIN RSA PRIVATE KEY /
// BEGIN EC PRIVATE KEY; PKCS#8 for Ed25519/Ed448, which have no traditional form).
//
// Failures: no private key loaded (InvalidInput), a missing state directory (NotFound),
// file system errors as reported by adapters/files, OpenSSL encoding errors (Internal).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/openssl/pem_bundle.hpp"
#include "core/error.hpp"
#include "core/secret.hpp"
#include "ports/hook_runner.hpp"

namespace daneguard::adapters::deploy {

inline constexpr std::string_view kStagingDirectoryPrefix = "hook-staging-";

class StagedCertificate {
 public:
  static Result<StagedCertificate> stage(const openssl::LoadedCertificate& certificate,
                                         const std::filesystem::path& state_directory,
                                         std::string_view service,
                                         const std::vector<std::string>& hosts);

  ~StagedCertificate();
  StagedCertificate(StagedCertificate&& other) noexcept;
  StagedCertificate& operator=(StagedCertificate&& other) noexcept;
  StagedCertificate(const StagedCertificate&) = delete;
  StagedCertificate& operator=(const StagedCertificate&) = delete;

  [[nodiscard]] const std::filesystem::path& directory() const { return directory_; }
  [[nodiscard]] std::filesystem::path certificateFile() const { return directory_ / "cert.pem"; }
  [[nodiscard]] std::filesystem::path chainFile() const { return directory_ / "chain.pem"; }
  [[nodiscard]] std::filesystem::path fullchainFile() const { return directory_ / "fullchain.pem"; }
  [[nodiscard]] std::filesystem::path keyFile() const { return directory_ / "privkey.pem"; }

  /// The variables listed above, fresh copies each call (for a HookInvocation).
  [[nodiscard]] std::vector<ports::HookVariable> hookEnvironment() const;

 private:
  StagedCertificate() = default;
  void removeDirectory() noexcept;

  std::filesystem::path directory_;  // empty once moved from or removed
  std::string service_;
  std::string hosts_;
  std::string leaf_pem_;
  SecretBytes danebot_key_pem_;
};

/// Removes hook-staging-* directories left by a crashed run. Call with the state lock held.
Result<void> removeStaleHookStaging(const std::filesystem::path& state_directory);

}  // namespace daneguard::adapters::deploy
