#include "app/tlsa_listing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/tlsa/tlsa_compute.hpp"
#include "core/tlsa/tlsa_mnemonics.hpp"
#include "core/tlsa/tlsa_owner_name.hpp"

namespace daneguard::app {
namespace {

constexpr std::uint16_t kSmtpPort = 25;

// Records for one chain and parameter set, with the depth of the certificate each one pins.
std::vector<std::pair<TlsaRecord, std::size_t>> recordsWithDepth(const CertificateChain& chain,
                                                                 TlsaParameters parameters) {
  std::vector<std::pair<TlsaRecord, std::size_t>> out;
  const std::vector<TlsaRecord> records = computeTlsaRecords(chain, parameters);
  const bool per_issuer =
      parameters.usage == TlsaUsage::PkixTa || parameters.usage == TlsaUsage::DaneTa;
  for (std::size_t i = 0; i < records.size(); ++i) {
    out.emplace_back(records[i], per_issuer ? i + 1 : 0);
  }
  return out;
}

std::vector<std::string> adviceFor(const TlsaListingRequest& request,
                                   const std::vector<NamedChain>& chains) {
  std::vector<std::string> warnings;
  const bool smtp = !request.hosts.empty() && std::find(request.ports.begin(), request.ports.end(),
                                                        kSmtpPort) != request.ports.end();
  for (const TlsaParameters& parameters : request.parameters) {
    const std::string name = tlsaParametersName(parameters);
    if (smtp && (parameters.usage == TlsaUsage::PkixTa || parameters.usage == TlsaUsage::PkixEe)) {
      warnings.push_back(fmt::format(
          "{}: SMTP clients ignore PKIX usages on port 25 (RFC 7672 §3.1); use DANE-EE or DANE-TA",
          name));
    }
    if (parameters.usage == TlsaUsage::DaneEe && parameters.selector == TlsaSelector::Cert) {
      warnings.push_back(fmt::format(
          "{}: a record of the whole certificate changes at every renewal; prefer SPKI (3 1 1), "
          "which stays the same while the key is reused",
          name));
    }
    if (parameters.usage == TlsaUsage::DaneTa || parameters.usage == TlsaUsage::PkixTa) {
      for (const NamedChain& named : chains) {
        if (named.chain.issuerCount() == 0) {
          warnings.push_back(fmt::format(
              "{}: {} holds no issuer certificate, so there is nothing to pin; give the full "
              "chain (fullchain.pem) or --chain",
              name, named.source));
        }
      }
    }
  }
  return warnings;
}

Result<std::vector<std::optional<DomainName>>> ownerNames(const TlsaListingRequest& request) {
  std::vector<std::optional<DomainName>> owners;
  if (request.hosts.empty()) {
    owners.emplace_back(std::nullopt);
    return owners;
  }
  for (const std::string& host : request.hosts) {
    for (const std::uint16_t port : request.ports) {
      auto owner = tlsaOwnerName(port, request.protocol, host);
      if (!owner) return fail(std::move(owner.error()).withContext("--host " + host));
      owners.emplace_back(std::move(*owner));
    }
  }
  return owners;
}

}  // namespace

Result<TlsaListing> listTlsaRecords(const std::vector<NamedChain>& chains,
                                    const TlsaListingRequest& request) {
  if (request.parameters.empty()) return fail(ErrorKind::Usage, "no TLSA parameters given");
  if (!request.hosts.empty() && request.ports.empty()) {
    return fail(ErrorKind::Usage, "owner names need at least one port");
  }
  auto owners = ownerNames(request);
  if (!owners) return fail(std::move(owners.error()));

  TlsaListing listing;
  listing.warnings = adviceFor(request, chains);
  for (const std::optional<DomainName>& owner : *owners) {
    // Dual RSA+ECDSA chains from one CA share their issuer records: list each record once.
    std::set<TlsaRecord> seen;
    for (std::size_t c = 0; c < chains.size(); ++c) {
      for (const TlsaParameters& parameters : request.parameters) {
        for (auto& [record, depth] : recordsWithDepth(chains[c].chain, parameters)) {
          if (!seen.insert(record).second) continue;
          listing.entries.push_back({owner, std::move(record), c, depth});
        }
      }
    }
  }
  return listing;
}

}  // namespace daneguard::app
