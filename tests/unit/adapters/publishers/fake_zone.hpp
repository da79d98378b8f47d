// A DnsQuery serving TLSA RRsets of one zone from a map, authoritatively, for the publisher
// tests (prerequisites and Alnitak's "live hash" are read by query).
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "ports/dns_query.hpp"

namespace daneguard::adapters::publishers {

class FakeZone final : public ports::DnsQuery {
 public:
  std::map<std::string, std::vector<TlsaRecord>> tlsa;  // owner -> records
  int queries = 0;
  bool authoritative = true;
  std::vector<std::string> empty_non_terminals;  // names that exist without records

  Result<ports::DnsAnswer> query(const ports::DnsQuestion& question) override {
    ++queries;
    ports::DnsAnswer answer;
    answer.server = question.server;
    answer.authoritative = authoritative;
    const auto found = tlsa.find(question.name);
    if (std::find(empty_non_terminals.begin(), empty_non_terminals.end(), question.name) !=
        empty_non_terminals.end())
      return answer;
    if (found == tlsa.end()) {
      answer.rcode = ports::DnsRcode::NxDomain;
      return answer;
    }
    for (const TlsaRecord& record : found->second) {
      ports::DnsRecord rr;
      rr.owner = question.name;
      rr.type = ports::DnsType::TLSA;
      rr.ttl = 300;
      rr.rdata = {static_cast<std::uint8_t>(record.parameters.usage),
                  static_cast<std::uint8_t>(record.parameters.selector),
                  static_cast<std::uint8_t>(record.parameters.matching_type)};
      rr.rdata.insert(rr.rdata.end(), record.data.begin(), record.data.end());
      answer.answer.push_back(rr);
    }
    return answer;
  }
  std::vector<Result<ports::DnsAnswer>> queryAll(
      std::span<const ports::DnsQuestion> questions) override {
    std::vector<Result<ports::DnsAnswer>> out;
    for (const auto& question : questions)
      out.push_back(query(question));
    return out;
  }
};

inline TlsaRecord record311(std::uint8_t fill) {
  TlsaRecord record;
  record.parameters =
      TlsaParameters{TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha256};
  record.data.assign(32, fill);
  return record;
}

}  // namespace daneguard::adapters::publishers
