// DnsQuery over ldns-built messages and our own single-threaded socket I/O (dns_transport).
// RD=0 unless a question asks for recursion (questions to a configured resolver only).
#pragma once

#include "adapters/dns/dns_transport.hpp"
#include "ports/dns_query.hpp"

namespace daneguard::adapters::dns {

class LdnsDnsQuery final : public ports::DnsQuery {
 public:
  explicit LdnsDnsQuery(TransportOptions options = {}, bool tcp_only = false)
      : options_(options), tcp_only_(tcp_only) {}

  using ports::DnsQuery::query;
  Result<ports::DnsAnswer> query(const ports::DnsQuestion& question) override;
  std::vector<Result<ports::DnsAnswer>> queryAll(
      std::span<const ports::DnsQuestion> questions) override;

 private:
  TransportOptions options_;
  bool tcp_only_;
};

}  // namespace daneguard::adapters::dns
