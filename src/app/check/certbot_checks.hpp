// `daneguard check` findings about certbot lineages used as certificate sources:
// - a DANE-EE SPKI service (3 1 x) whose lineage does not reuse its key makes every renewal a
//   full rollover with a cache wait (certbot's renewal conf lacks reuse_key = True in
//   [renewalparams]; a line in a [[webroot_map]] subsection, as danectl appends it, does not
//   count);
// - a TLS server (Postfix) still configured to read the lineage's live/ files directly: certbot's
//   renewal then switches the served certificate before its TLSA records are safe.
// Pure apart from the file reader the caller passes; the caller also gathers what each server
// reads (postconfArgv() + parsePostconfFiles() for Postfix). The renewal conf parser here is
// self-contained (configobj subset: sections, key = value, comments).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/check/finding.hpp"
#include "core/config/config.hpp"
#include "core/error.hpp"

namespace daneguard::app::check {

/// The [renewalparams] values of certbot's renewal/NAME.conf that matter to DANE.
struct CertbotRenewalSettings {
  std::optional<bool> reuse_key;        // absent: certbot's default, a new key every renewal
  std::optional<std::string> key_type;  // "rsa", "ecdsa"
};

/// Parses a renewal conf. InvalidInput (naming the line) for a reuse_key that is no boolean.
Result<CertbotRenewalSettings> parseCertbotRenewalConf(std::string_view text);

/// Files one TLS server is configured to read (certificates, keys, chains).
struct ServerCertificateFiles {
  std::string server;              // "Postfix (/etc/postfix)": shown as the finding's subject
  std::vector<std::string> paths;  // absolute
};

/// `postconf -c DIR -x -h` of the parameters naming Postfix's certificate and key files.
std::vector<std::string> postconfArgv(std::string_view config_directory);
/// The file paths in postconf's output (one value per line, lists split at commas/blanks).
std::vector<std::string> parsePostconfFiles(std::string_view output);

struct CertbotCheckInputs {
  /// Reads a small text file (the renewal conf); NotFound/Permission become findings.
  std::function<Result<std::string>(const std::string& path)> read_file;
  std::vector<ServerCertificateFiles> servers;
};

Findings checkCertbotSources(const config::Config& config, const CertbotCheckInputs& inputs);

}  // namespace daneguard::app::check
