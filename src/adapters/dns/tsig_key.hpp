// A TSIG key (RFC 8945) and the places it can come from: a BIND key file
// (`key "name" { algorithm hmac-sha256; secret "base64"; };`, as written by tsig-keygen), a file
// holding only the base64 secret, or DaneBot's environment variables.
//
// The secret is private, never printable (no accessor returns it to general code, no stream
// operator), and held in SecretBytes, which wipes it when the key dies or is moved from.
//
// Algorithms: hmac-sha256 (default), hmac-sha1, hmac-sha512. hmac-md5 is refused (RFC 8945
// §6: MD5 must not be used). hmac-sha224 and hmac-sha384 are refused with a clear message:
// ldns 1.8.3 cannot sign with them (its sha384 table entry is misspelt "hmac-shac384.", sha224
// is missing), and a key that only fails at the first UPDATE is worse than one refused at load.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/dns/tsig_algorithm.hpp"
#include "core/error.hpp"
#include "core/secret.hpp"

namespace daneguard::adapters::dns {

/// Strict base64 (RFC 4648, padding required, white space ignored); returns the decoded length.
/// Never echoes the input.
Result<std::size_t> validateBase64Secret(std::string_view text);

inline constexpr const char* kTsigKeyNameVariable = "DANEBOT_RFC2136_TSIG_KEY";
inline constexpr const char* kTsigSecretVariable = "DANEBOT_RFC2136_TSIG_SECRET";

class TsigKey {
 public:
  /// `origin` says where the key came from, for messages ("environment", "file /etc/x.key").
  static Result<TsigKey> create(std::string_view name, std::string_view algorithm,
                                std::string_view secret_base64, std::string_view origin);

  /// Reads a BIND key file. With several keys in the file, `key_name` picks one; with one key,
  /// an empty `key_name` takes it.
  static Result<TsigKey> fromBindKeyFile(const std::filesystem::path& path,
                                         std::string_view key_name = {});
  /// Parses BIND key-file text (exposed for tests and fuzzing); `origin` prefixes messages.
  static Result<TsigKey> fromBindKeyText(std::string_view text, std::string_view origin,
                                         std::string_view key_name = {});

  /// A file holding only the base64 secret (surrounding white space allowed).
  static Result<TsigKey> fromSecretFile(const std::filesystem::path& path, std::string_view name,
                                        std::string_view algorithm = "hmac-sha256");

  /// DANEBOT_RFC2136_TSIG_KEY (name) and DANEBOT_RFC2136_TSIG_SECRET (base64 secret).
  static Result<TsigKey> fromEnvironment(std::string_view algorithm = "hmac-sha256");

  TsigKey(TsigKey&& other) noexcept = default;
  TsigKey& operator=(TsigKey&& other) noexcept = default;
  TsigKey(const TsigKey&) = delete;
  TsigKey& operator=(const TsigKey&) = delete;
  ~TsigKey() = default;

  /// Key name as configured, lower case, without a trailing dot: "tlsa-update-key".
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] TsigAlgorithm algorithm() const { return algorithm_; }
  /// "TSIG key 'tlsa-update-key' (hmac-sha256)".
  [[nodiscard]] std::string describe() const;

 private:
  friend class TsigSigner;  // the only code that may see the secret (ldns wants base64 text)
  TsigKey(std::string name, TsigAlgorithm algorithm, std::string secret_base64);
  /// NUL-terminated base64 secret, for ldns; only TsigSigner calls it.
  [[nodiscard]] const char* secretText() const;

  std::string name_;
  TsigAlgorithm algorithm_ = TsigAlgorithm::HmacSha256;
  SecretBytes secret_base64_;
};

}  // namespace daneguard::adapters::dns
