// DaneLookup through a configured validating resolver (mode "--resolver HOST[:PORT]"): queries
// go out with RD and DO set and CD clear, and an answer counts as Secure only when the
// resolver set the AD bit (RFC 4035 §3.2.3, RFC 6840 §5.7). Nothing is validated locally, so
// the path to that resolver must be trusted (loopback, or a host on a protected network),
// as Postfix's `smtp_dns_support_level = dnssec` assumes.
//
// A validating resolver answers SERVFAIL for bogus data; it cannot be told apart from an
// unreachable authority here, so SERVFAIL is an error (Transient) that says both. Without AD
// an answer is reported Insecure, also when the resolver does not validate at all: the safe
// reading, since it never turns into "authenticated".
#pragma once

#include <string>
#include <utility>

#include "adapters/dns/dns_transport.hpp"
#include "core/error.hpp"
#include "ports/dane_lookup.hpp"
#include "ports/dns_query.hpp"

namespace daneguard::adapters::resolver {

class ValidatingResolverLookup final : public ports::DaneLookup {
 public:
  explicit ValidatingResolverLookup(ports::DnsServer resolver, dns::TransportOptions transport = {})
      : resolver_(std::move(resolver)), transport_(transport) {}

  Result<ports::ValidatedTlsa> tlsa(const std::string& owner) override;
  Result<ports::ValidatedAddresses> addresses(const std::string& host) override;
  Result<ports::ValidatedMx> mx(const std::string& domain) override;

 private:
  struct Answer;
  Result<Answer> resolve(const std::string& name, ports::DnsType type);

  ports::DnsServer resolver_;
  dns::TransportOptions transport_;
};

}  // namespace daneguard::adapters::resolver
