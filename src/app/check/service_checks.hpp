// `daneguard check` as a collector: each check is a function over the configuration and the
// ports it needs, returning findings (finding.hpp); runChecks calls them in order (the DANE
// rules, DNSSEC, publisher access in publisher_checks.hpp, certbot sources in
// certbot_checks.hpp). A check that cannot run (a server does not answer) reports that as a
// finding, so one broken service never hides the others.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "app/check/certbot_checks.hpp"
#include "app/check/finding.hpp"
#include "core/config/config.hpp"
#include "core/error.hpp"
#include "ports/certificate_loader.hpp"
#include "ports/dane_lookup.hpp"
#include "ports/dns_query.hpp"
#include "ports/publisher_directory.hpp"

namespace daneguard::app::check {

/// What gathering the local TLS servers' certificate files produced: the files, and findings
/// about the gathering itself (postconf absent or failing).
struct ServerFilesGathering {
  std::vector<ServerCertificateFiles> servers;
  Findings findings;
};

struct CheckPorts {
  ports::CertificateLoader& certificates;
  ports::PublisherDirectory& publishers;
  ports::DnsQuery& query;
  /// A validating path (libunbound or a validating resolver); null: the DNSSEC check says it
  /// did not run.
  ports::DaneLookup* lookup = nullptr;
  /// Reads certbot's renewal confs. Null: the certbot checks do not run.
  std::function<Result<std::string>(const std::string& path)> read_file;
  /// Asked only when a selected service takes its certificate from certbot (running postconf
  /// is then worth it). Null: no server configuration is checked.
  std::function<ServerFilesGathering()> gather_server_files;
};

/// The TLSA RRset the publisher's primary serves at every owner name of every service, checked
/// against the service's certificate with the DANE rules (dane_rules.hpp).
Findings checkPublishedRecords(const config::Config& config, ports::CertificateLoader& certificates,
                               ports::PublisherDirectory& publishers, ports::DnsQuery& query);

/// Whether each owner's TLSA RRset validates (secure), is unsigned (no DANE at all), bogus or
/// missing, and whether each host's addresses are secure (RFC 7672 §2.2.2), as a DANE client
/// sees them.
Findings checkDnssec(const config::Config& config, ports::DaneLookup& lookup);

/// Every check for the services named (all when empty), in order: published records against
/// the DANE rules, DNSSEC, publisher access (only the publishers those services use), certbot
/// sources. Config error for an unknown name.
Result<Findings> runChecks(const config::Config& config, CheckPorts& ports,
                           const std::vector<std::string>& services);

/// The most severe finding's severity (Ok for none).
Severity worstSeverity(const Findings& findings);

/// "ERROR service mail: _25._tcp.mail.example.test.: usage 1 (PKIX-EE) ... -> fix: ...".
std::string formatFinding(const Finding& finding);

}  // namespace daneguard::app::check
