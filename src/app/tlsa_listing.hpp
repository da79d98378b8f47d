// What `daneguard tlsa` computes: the TLSA records for one or more certificate chains, for
// every requested parameter set, optionally at every owner name (host x port), with advice
// on records that DANE for SMTP advises against (RFC 7672 §3.1). Pure: chains come in loaded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/certificate.hpp"
#include "core/dns/domain_name.hpp"
#include "core/error.hpp"
#include "core/tlsa/tlsa_record.hpp"

namespace daneguard::app {

struct TlsaListingRequest {
  std::vector<TlsaParameters> parameters;  // at least one
  std::vector<std::string> hosts;          // empty: records without owner names
  std::vector<std::uint16_t> ports;        // used with hosts
  std::string protocol = "tcp";
};

struct NamedChain {
  std::string source;  // file name, for output
  CertificateChain chain;
};

struct TlsaListingEntry {
  std::optional<DomainName> owner;
  TlsaRecord record;
  std::size_t chain_index = 0;  // which NamedChain
  std::size_t depth = 0;        // which certificate of it: 0 = leaf
};

struct TlsaListing {
  std::vector<TlsaListingEntry> entries;  // owner order, then chain, then parameters; no dupes
  std::vector<std::string> warnings;
};

Result<TlsaListing> listTlsaRecords(const std::vector<NamedChain>& chains,
                                    const TlsaListingRequest& request);

}  // namespace daneguard::app
