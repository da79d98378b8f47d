// The DANE-rule and DNSSEC checks, and runChecks (see the header).
#include "app/check/service_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <variant>

#include "app/check/dane_rules.hpp"
#include "app/check/publisher_checks.hpp"
#include "core/tlsa/tlsa_owner_name.hpp"

namespace daneguard::app::check {
namespace {

struct OwnerName {
  std::string owner;
  std::string host;
  std::uint16_t port = 0;
};

Result<std::vector<OwnerName>> ownerNames(const config::Service& service) {
  std::vector<OwnerName> owners;
  for (const std::string& host : service.hosts)
    for (const std::uint16_t port : service.ports) {
      auto owner = tlsaOwnerName(port, config::transportProtocolName(service.protocol), host);
      if (!owner) return fail(owner.error());
      owners.push_back({owner->toString(), host, port});
    }
  return owners;
}

Finding serviceError(const config::Service& service, std::string subject, std::string message,
                     std::string fix) {
  return Finding{Severity::Error, service.name, std::move(subject), std::move(message),
                 std::move(fix)};
}

void checkServiceRecords(const config::Service& service, ports::CertificateLoader& certificates,
                         ports::PublisherDirectory& publishers, ports::DnsQuery& query,
                         Findings& findings) {
  auto owners = ownerNames(service);
  if (!owners) {
    findings.push_back(serviceError(service, "hosts", owners.error().message,
                                    "fix the host names in the configuration"));
    return;
  }
  auto certificate =
      certificates.load(service.certificate, ports::CertificateLoader::PrivateKeyUse::Skip);
  if (!certificate) {
    findings.push_back(serviceError(service, "certificate", certificate.error().message,
                                    "fix the [services.certificate] source"));
    return;
  }
  auto publisher = publishers.publisher(service.publisher);
  if (!publisher) {
    findings.push_back(serviceError(service, "publisher " + service.publisher,
                                    publisher.error().message, "fix the publisher"));
    return;
  }
  for (const OwnerName& owner : *owners) {
    auto answer = query.query(
        ports::DnsQuestion{publisher->update_target, owner.owner, ports::DnsType::TLSA});
    if (!answer) {
      findings.push_back(serviceError(service, owner.owner,
                                      "cannot read the TLSA RRset from " +
                                          publisher->update_target.toString() + ": " +
                                          answer.error().message,
                                      "check that the publisher's server answers"));
      continue;
    }
    if (answer->rcode != ports::DnsRcode::NoError && answer->rcode != ports::DnsRcode::NxDomain) {
      findings.push_back(serviceError(
          service, owner.owner,
          publisher->update_target.toString() + " answered " + ports::rcodeName(answer->rcode),
          "check that the server is authoritative for the zone"));
      continue;
    }
    const std::vector<TlsaRecord> records = answer->tlsaRecords(owner.owner);
    std::uint32_t ttl = 0;
    for (const ports::DnsRecord& record : answer->recordsOf(owner.owner, ports::DnsType::TLSA))
      ttl = std::max(ttl, record.ttl);
    const PublishedRrset rrset{service.name, owner.owner, owner.port, records,
                               std::chrono::seconds(ttl)};
    for (Finding& finding : checkTlsaRules(rrset, certificate->chain))
      findings.push_back(std::move(finding));
  }
}

}  // namespace

Findings checkPublishedRecords(const config::Config& config, ports::CertificateLoader& certificates,
                               ports::PublisherDirectory& publishers, ports::DnsQuery& query) {
  Findings findings;
  for (const config::Service& service : config.services)
    checkServiceRecords(service, certificates, publishers, query, findings);
  return findings;
}

Findings checkDnssec(const config::Config& config, ports::DaneLookup& lookup) {
  Findings findings;
  for (const config::Service& service : config.services) {
    const auto add = [&](Severity severity, std::string subject, std::string message,
                         std::string fix) {
      findings.push_back(
          Finding{severity, service.name, std::move(subject), std::move(message), std::move(fix)});
    };
    const bool smtp = std::ranges::find(service.ports, 25) != service.ports.end();
    for (const std::string& host : service.hosts) {
      auto addresses = lookup.addresses(host);
      if (!addresses) {
        add(Severity::Error, host, "cannot look up its addresses: " + addresses.error().message,
            "check the validating resolver or trust anchor");
      } else if (addresses->status == ports::DnssecStatus::Bogus) {
        add(Severity::Error, host,
            "its address records are bogus (DNSSEC validation fails): " + addresses->why_bogus,
            "fix the zone's signatures or the DS record at the parent");
      } else if (addresses->status == ports::DnssecStatus::Insecure) {
        add(smtp ? Severity::Error : Severity::Warning, host,
            "its address records are not DNSSEC-signed: DANE clients do not look up TLSA for "
            "it (RFC 7672 §2.2.2)",
            "sign the zone holding the host's A/AAAA records and publish its DS");
      }
    }
    auto owners = ownerNames(service);
    if (!owners) continue;  // reported by checkPublishedRecords
    for (const OwnerName& owner : *owners) {
      auto tlsa = lookup.tlsa(owner.owner);
      if (!tlsa) {
        add(Severity::Error, owner.owner, "cannot look up TLSA: " + tlsa.error().message,
            "check the validating resolver or trust anchor");
        continue;
      }
      switch (tlsa->status) {
        case ports::DnssecStatus::Bogus:
          add(Severity::Error, owner.owner,
              "the TLSA answer is bogus: " + tlsa->why_bogus +
                  "; DANE clients will not deliver to this host at all",
              "fix the zone's signatures (re-sign, check the DS at the parent and key rollovers)");
          break;
        case ports::DnssecStatus::Insecure:
          add(Severity::Error, owner.owner,
              "the zone is not DNSSEC-signed (insecure): there is no DANE at all for this name, "
              "whatever TLSA records are published",
              "sign the zone and publish its DS record at the parent");
          break;
        case ports::DnssecStatus::Secure:
          if (!tlsa->exists) {
            add(Severity::Error, owner.owner, "no TLSA RRset (securely denied)",
                "run `daneguard run` to publish the service's records");
          } else {
            add(Severity::Ok, owner.owner,
                fmt::format("TLSA RRset validates (secure), {} record(s)", tlsa->records.size()),
                "");
          }
          break;
      }
    }
  }
  return findings;
}

Result<Findings> runChecks(const config::Config& config, CheckPorts& ports,
                           const std::vector<std::string>& services) {
  config::Config selected = config;
  if (!services.empty()) {
    selected.services.clear();
    for (const std::string& name : services) {
      const config::Service* service = config.findService(name);
      if (service == nullptr)
        return fail(ErrorKind::Config, "no service named '" + name + "' in the configuration");
      selected.services.push_back(*service);
    }
    // Only the publishers of the services asked about: the others are not "unused".
    std::erase_if(selected.publishers, [&](const auto& publisher) {
      return std::none_of(
          selected.services.begin(), selected.services.end(),
          [&](const config::Service& service) { return service.publisher == publisher.first; });
    });
  }
  Findings findings =
      checkPublishedRecords(selected, ports.certificates, ports.publishers, ports.query);
  if (ports.lookup != nullptr) {
    for (Finding& finding : checkDnssec(selected, *ports.lookup))
      findings.push_back(std::move(finding));
  } else {
    findings.push_back(Finding{Severity::Notice, "", "DNSSEC",
                               "whether the zones are signed and the TLSA RRsets validate was "
                               "not checked (--no-dnssec)",
                               "drop --no-dnssec, or run `daneguard verify` for a validated view"});
  }
  for (Finding& finding : checkPublishers(selected, ports.publishers))
    findings.push_back(std::move(finding));
  const bool uses_certbot =
      std::any_of(selected.services.begin(), selected.services.end(), [](const auto& service) {
        return std::holds_alternative<config::CertbotLineageSource>(service.certificate);
      });
  if (uses_certbot && ports.read_file) {
    CertbotCheckInputs inputs;
    inputs.read_file = ports.read_file;
    if (ports.gather_server_files) {
      ServerFilesGathering gathered = ports.gather_server_files();
      inputs.servers = std::move(gathered.servers);
      for (Finding& finding : gathered.findings)
        findings.push_back(std::move(finding));
    }
    for (Finding& finding : checkCertbotSources(selected, inputs))
      findings.push_back(std::move(finding));
  }
  return findings;
}

Severity worstSeverity(const Findings& findings) {
  Severity worst = Severity::Ok;
  for (const Finding& finding : findings)
    worst = std::max(worst, finding.severity);
  return worst;
}

std::string formatFinding(const Finding& finding) {
  std::string severity(severityName(finding.severity));
  std::ranges::transform(severity, severity.begin(),
                         [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  std::string line = severity;
  if (!finding.service.empty()) line += " service " + finding.service + ":";
  line += " " + finding.subject + ": " + finding.message;
  if (!finding.fix.empty()) line += " -> fix: " + finding.fix;
  return line;
}

}  // namespace daneguard::app::check
