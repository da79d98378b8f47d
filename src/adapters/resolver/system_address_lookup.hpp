// DaneLookup for `verify --tlsa ...` without any DNSSEC configuration: addresses come from the
// system resolver (the getaddrinfo adapter `run` probes use, so /etc/hosts and nsswitch apply)
// and are reported Insecure, since nothing validated them. TLSA and MX lookups are refused:
// with records given on the command line there is nothing to look up, and an unvalidated TLSA
// answer would be worthless.
#pragma once

#include "adapters/hosts/getaddrinfo_host_addresses.hpp"
#include "ports/dane_lookup.hpp"

namespace daneguard::adapters::resolver {

class SystemAddressLookup final : public ports::DaneLookup {
 public:
  Result<ports::ValidatedTlsa> tlsa(const std::string& owner) override;
  /// A name without addresses is an empty answer, not an error.
  Result<ports::ValidatedAddresses> addresses(const std::string& host) override;
  Result<ports::ValidatedMx> mx(const std::string& domain) override;

 private:
  hosts::GetaddrinfoHostAddresses system_resolver_;
};

}  // namespace daneguard::adapters::resolver
