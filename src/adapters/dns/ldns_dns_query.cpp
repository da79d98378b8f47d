#include "adapters/dns/ldns_dns_query.hpp"

#include "adapters/dns/dns_message.hpp"

namespace daneguard::adapters::dns {
namespace {

std::string typeName(ports::DnsType type) {
  MallocCharsPtr text(ldns_rr_type2str(static_cast<ldns_rr_type>(type)));
  return text ? std::string(text.get()) : std::to_string(static_cast<unsigned>(type));
}

}  // namespace

Result<ports::DnsAnswer> LdnsDnsQuery::query(const ports::DnsQuestion& question) {
  auto results = queryAll(std::span<const ports::DnsQuestion>(&question, 1));
  return std::move(results.front());
}

std::vector<Result<ports::DnsAnswer>> LdnsDnsQuery::queryAll(
    std::span<const ports::DnsQuestion> questions) {
  std::vector<Result<ports::DnsAnswer>> results(questions.size());
  std::vector<DnsExchange> exchanges;
  std::vector<std::size_t> exchange_of_question;
  for (std::size_t i = 0; i < questions.size(); ++i) {
    auto message = buildQueryMessage(questions[i]);
    if (!message) {
      results[i] = fail(message.error());
      continue;
    }
    exchanges.push_back(DnsExchange{questions[i].server, std::move(*message), tcp_only_});
    exchange_of_question.push_back(i);
  }
  auto outcomes = runExchanges(exchanges, options_);
  for (std::size_t k = 0; k < outcomes.size(); ++k) {
    const auto& question = questions[exchange_of_question[k]];
    auto& result = results[exchange_of_question[k]];
    const std::string what = "querying " + question.server.toString() + " for " + question.name +
                             " " + typeName(question.type);
    if (!outcomes[k].reply) {
      Error error = outcomes[k].reply.error();
      if (!outcomes[k].transport.empty()) error.message += " over " + outcomes[k].transport;
      result = fail(std::move(error).withContext(what));
      continue;
    }
    auto packet = parseMessage(outcomes[k].reply->message, question.server);
    if (!packet) {
      result = fail(packet.error().withContext(what));
      continue;
    }
    result = toDnsAnswer(**packet, question.server, outcomes[k].reply->over_tcp);
  }
  return results;
}

}  // namespace daneguard::adapters::dns
