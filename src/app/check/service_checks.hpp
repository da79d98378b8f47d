// `daneguard check` as a collector: each check is a function over the configuration and the
// ports it needs, returning findings (finding.hpp); runChecks calls them in order. Checks added
// later (certificate sources, publisher credentials) are one more function and one more line in
// runChecks. A check that cannot run (a server does not answer) reports that as a finding, so
// one broken service never hides the others.
#pragma once

#include <string>
#include <vector>

#include "app/check/finding.hpp"
#include "core/config/config.hpp"
#include "core/error.hpp"
#include "ports/certificate_loader.hpp"
#include "ports/dane_lookup.hpp"
#include "ports/dns_query.hpp"
#include "ports/publisher_directory.hpp"

namespace daneguard::app::check {

struct CheckPorts {
  ports::CertificateLoader& certificates;
  ports::PublisherDirectory& publishers;
  ports::DnsQuery& query;
  /// A validating path (libunbound or a validating resolver); null: the DNSSEC check says it
  /// did not run.
  ports::DaneLookup* lookup = nullptr;
};

/// The TLSA RRset the publisher's primary serves at every owner name of every service, checked
/// against the service's certificate with the DANE rules (dane_rules.hpp).
Findings checkPublishedRecords(const config::Config& config, ports::CertificateLoader& certificates,
                               ports::PublisherDirectory& publishers, ports::DnsQuery& query);

/// Whether each owner's TLSA RRset validates (secure), is unsigned (no DANE at all), bogus or
/// missing, and whether each host's addresses are secure (RFC 7672 §2.2.2), as a DANE client
/// sees them.
Findings checkDnssec(const config::Config& config, ports::DaneLookup& lookup);

/// Every check for the services named (all when empty). Config error for an unknown name.
Result<Findings> runChecks(const config::Config& config, CheckPorts& ports,
                           const std::vector<std::string>& services);

/// The most severe finding's severity (Ok for none).
Severity worstSeverity(const Findings& findings);

/// "ERROR service mail: _25._tcp.mail.example.test.: usage 1 (PKIX-EE) ... -> fix: ...".
std::string formatFinding(const Finding& finding);

}  // namespace daneguard::app::check
