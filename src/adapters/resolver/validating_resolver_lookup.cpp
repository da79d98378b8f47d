#include "adapters/resolver/validating_resolver_lookup.hpp"

#include <algorithm>

#include "adapters/dns/dns_message.hpp"
#include "adapters/resolver/rdata_decoding.hpp"

namespace daneguard::adapters::resolver {
namespace {

using ports::DnssecStatus;
using ports::DnsType;

std::string typeName(DnsType type) {
  switch (type) {
    case DnsType::A:
      return "A";
    case DnsType::AAAA:
      return "AAAA";
    case DnsType::TLSA:
      return "TLSA";
    default:
      return "TYPE" + std::to_string(static_cast<unsigned>(type));
  }
}

constexpr auto kTypeMx = static_cast<DnsType>(15);

}  // namespace

struct ValidatingResolverLookup::Answer {
  bool nxdomain = false;
  DnssecStatus status = DnssecStatus::Insecure;
  std::vector<ports::DnsRecord> records;  // of the asked type, after any CNAME the resolver chased
};

Result<ValidatingResolverLookup::Answer> ValidatingResolverLookup::resolve(const std::string& name,
                                                                           DnsType type) {
  const std::string what = "looking up " + name + " " +
                           (type == kTypeMx ? std::string("MX") : typeName(type)) +
                           " at validating resolver " + resolver_.toString();
  const ports::DnsQuestion question{resolver_, name, type, true};
  auto request = dns::buildQueryMessage(question);
  if (!request) return fail(std::move(request.error()).withContext(what));
  const dns::DnsExchange exchange{resolver_, std::move(*request), false};
  auto outcomes = dns::runExchanges(std::span<const dns::DnsExchange>(&exchange, 1), transport_);
  if (!outcomes.front().reply) return fail(outcomes.front().reply.error().withContext(what));
  auto packet = dns::parseMessage(outcomes.front().reply->message, resolver_);
  if (!packet) return fail(std::move(packet.error()).withContext(what));

  const ldns_pkt& reply = **packet;
  const ldns_pkt_rcode rcode = ldns_pkt_get_rcode(&reply);
  if (rcode == LDNS_RCODE_SERVFAIL) {
    return fail(ErrorKind::Transient,
                what +
                    ": SERVFAIL (DNSSEC validation failed (bogus) or the authoritative servers "
                    "could not be reached; the resolver does not say which)");
  }
  if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
    return fail(ErrorKind::Rejected,
                what + ": answered " + rcodeName(static_cast<ports::DnsRcode>(rcode)));
  }
  if (!ldns_pkt_ra(&reply)) {
    return fail(ErrorKind::Config, what +
                                       ": the server does not offer recursion (RA clear); "
                                       "--resolver must name a validating recursive resolver");
  }
  Answer answer;
  answer.nxdomain = rcode == LDNS_RCODE_NXDOMAIN;
  answer.status = ldns_pkt_ad(&reply) ? DnssecStatus::Secure : DnssecStatus::Insecure;
  const ports::DnsAnswer parsed =
      dns::toDnsAnswer(reply, resolver_, outcomes.front().reply->over_tcp);
  for (const ports::DnsRecord& record : parsed.answer)
    if (record.type == type) answer.records.push_back(record);
  return answer;
}

Result<ports::ValidatedTlsa> ValidatingResolverLookup::tlsa(const std::string& owner) {
  const std::string name = canonicalOwner(owner);
  auto answer = resolve(name, DnsType::TLSA);
  if (!answer) return fail(std::move(answer.error()));
  ports::ValidatedTlsa result;
  result.owner = name;
  result.status = answer->status;
  std::uint32_t ttl = 0;
  for (const ports::DnsRecord& record : answer->records) {
    if (auto tlsa = decodeTlsaRdata(record.rdata)) result.records.push_back(std::move(*tlsa));
    ttl = record.ttl;
  }
  result.ttl = std::chrono::seconds(ttl);
  result.exists = !answer->nxdomain && !result.records.empty();
  return result;
}

Result<ports::ValidatedAddresses> ValidatingResolverLookup::addresses(const std::string& host) {
  const std::string name = canonicalOwner(host);
  ports::ValidatedAddresses result;
  result.host = host;
  result.status = DnssecStatus::Secure;
  for (const DnsType type : {DnsType::A, DnsType::AAAA}) {
    auto answer = resolve(name, type);
    if (!answer) return fail(std::move(answer.error()));
    result.status = weakerStatus(result.status, answer->status);
    for (const ports::DnsRecord& record : answer->records) {
      if (auto address = decodeAddressRdata(record.rdata))
        result.addresses.push_back(std::move(*address));
    }
  }
  return result;
}

Result<ports::ValidatedMx> ValidatingResolverLookup::mx(const std::string& domain) {
  const std::string name = canonicalOwner(domain);
  auto answer = resolve(name, kTypeMx);
  if (!answer) return fail(std::move(answer.error()));
  ports::ValidatedMx result;
  result.domain = domain;
  result.status = answer->status;
  for (const ports::DnsRecord& record : answer->records) {
    if (auto host = decodeMxRdata(record.rdata)) result.hosts.push_back(std::move(*host));
  }
  std::stable_sort(
      result.hosts.begin(), result.hosts.end(),
      [](const ports::MxHost& a, const ports::MxHost& b) { return a.preference < b.preference; });
  result.exists = !result.hosts.empty();
  return result;
}

}  // namespace daneguard::adapters::resolver
