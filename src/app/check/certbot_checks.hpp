// `daneguard check` findings about certbot lineages used as certificate sources:
// - a DANE-EE SPKI service (3 1 x) whose lineage does not reuse its key makes every renewal a
//   full rollover with a cache wait (certbot's renewal conf lacks reuse_key = True in
//   [renewalparams]; a line in a [[webroot_map]] subsection, as danectl appends it, does not
//   count);
// - a TLS server (Postfix) still configured to read the lineage's live/ files directly: certbot's
//   renewal then switches the served certificate before its TLSA records are safe.
// Pure apart from the file reader the caller passes; the caller also gathers what each server
// reads (postconfArgv() + parsePostconfFiles() for Postfix). The renewal conf is parsed by
// core/certbot/renewal_conf.hpp, the same parser the certbot certificate source uses.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "app/check/finding.hpp"
#include "core/config/config.hpp"
#include "core/error.hpp"

namespace daneguard::app::check {

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
