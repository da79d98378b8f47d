// Reading a certbot lineage the way certbot itself lays it out, so that daneguard can take
// certbot's output without asking the operator to change anything:
//
//   <config_dir>/live/<name>/{cert,chain,fullchain,privkey}.pem  relative symlinks into
//   <config_dir>/archive/<name>/{cert,chain,fullchain,privkey}<N>.pem  every version kept
//   <config_dir>/renewal/<name>.conf                           how the next renewal is made
//
// Links are resolved once, up front, and the archive files are read directly: a renewal that
// swaps the links between two reads cannot pair a new key with an old chain, and messages
// name the version actually in use ("archive/mail/fullchain7.pem"). Failures are NotFound with
// the lineages that do exist (a typo is the usual cause), a broken link naming its target, or
// the PEM loader's own errors (key not matching the leaf, chain not linking) prefixed with the
// lineage.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/certbot/renewal_conf.hpp"
#include "core/config/config.hpp"
#include "core/error.hpp"

namespace daneguard::adapters::certificates {

/// The archive files live/<name>/ points at, resolved to absolute paths.
struct CertbotLineageFiles {
  std::filesystem::path fullchain;    // archive/<name>/fullchain<N>.pem
  std::filesystem::path private_key;  // archive/<name>/privkey<N>.pem
  /// "archive/mail/fullchain7.pem": how messages name the version in use.
  std::string fullchain_label;
  std::string private_key_label;
};

/// renewal/<name>.conf as read by readCertbotRenewal (parsed by core/certbot/renewal_conf).
struct CertbotRenewalFacts {
  std::string path;  // the file read, for messages
  certbot::RenewalSettings settings;
};

/// Lineage names present under <config_dir>/live/ (directories only), sorted.
std::vector<std::string> listCertbotLineages(const std::filesystem::path& config_dir);

/// Follows live/<name>/fullchain.pem and privkey.pem to the archive version in use.
Result<CertbotLineageFiles> resolveCertbotLineage(const config::CertbotLineageSource& source);

/// Reads and parses <config_dir>/renewal/<lineage>.conf; messages name the file and line.
Result<CertbotRenewalFacts> readCertbotRenewal(const std::filesystem::path& config_dir,
                                               std::string_view lineage);

}  // namespace daneguard::adapters::certificates
