// certbot's renewal/<lineage>.conf, parsed without I/O: the one parser behind both the certbot
// certificate source (adapters/certificates/certbot_lineage) and `daneguard check`.
//
// The file is configobj syntax: `key = value` lines, `[section]` headers with `[[sub]]`
// subsections, '#' comments. Only [renewalparams] itself matters: a key in a subsection such as
// [[webroot_map]] (where danectl appends `reuse_key = True`) is a domain name to certbot, so it
// does not count. Booleans follow certbot's own rule (renewal._restore_bool): True or False in
// any case, anything else refused, as certbot refuses it too.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace daneguard::certbot {

/// The [renewalparams] values that matter to DANE. Absent keys stay unset: certbot then applies
/// its own defaults (a new key at every renewal; key type rsa, ecdsa since certbot 2.0).
struct RenewalSettings {
  std::optional<bool> reuse_key;
  std::optional<std::string> key_type;        // "rsa" or "ecdsa", lower case
  std::optional<std::string> elliptic_curve;  // "secp256r1", "secp384r1", ...
  std::optional<int> rsa_key_size;            // 2048, 3072, 4096
  std::optional<std::string> authenticator;   // "webroot", "dns-rfc2136", ...

  /// Whether the next renewal keeps the key (certbot's default: it does not).
  [[nodiscard]] bool reusesKey() const { return reuse_key.value_or(false); }
};

/// InvalidInput naming `source_name` and the line ("renewal/mail.conf:12: ...") for a line that
/// is neither `key = value` nor a section header, a reuse_key that is not True/False, or an
/// rsa_key_size that is not a number.
Result<RenewalSettings> parseRenewalConf(std::string_view text, std::string_view source_name);

}  // namespace daneguard::certbot
