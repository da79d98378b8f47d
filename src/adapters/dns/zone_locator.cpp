#include "adapters/dns/zone_locator.hpp"

#include <algorithm>

#include "adapters/dns/dns_message.hpp"

namespace daneguard::adapters::dns {

using ports::DnsRcode;
using ports::DnsType;

namespace {

tl::unexpected<Error> delegatedElsewhere(const std::string& target, const std::string& name,
                                         const std::string& start) {
  return fail(ErrorKind::Config, target + " delegates " + name + " to other servers: the zone of " +
                                     start + " is not served by the update target");
}

/// The zone's NS names, sorted and without duplicates, as the update target lists them.
Result<std::vector<std::string>> nameServerNames(ports::DnsQuery& query,
                                                 const ports::DnsServer& update_target,
                                                 const std::string& zone,
                                                 const std::string& context) {
  auto ns_answer = query.query(update_target, zone, DnsType::NS);
  if (!ns_answer) return fail(ns_answer.error().withContext(context));
  if (ns_answer->rcode != DnsRcode::NoError || !ns_answer->authoritative) {
    return fail(ErrorKind::Rejected, context + ": " + update_target.toString() + " answered " +
                                         rcodeName(ns_answer->rcode) +
                                         (ns_answer->authoritative ? "" : " without AA"));
  }
  std::vector<std::string> ns_names;
  for (const auto& record : ns_answer->recordsOf(zone, DnsType::NS))
    ns_names.push_back(record.rdata_text);
  std::sort(ns_names.begin(), ns_names.end());
  ns_names.erase(std::unique(ns_names.begin(), ns_names.end()), ns_names.end());
  if (ns_names.empty()) return fail(ErrorKind::Rejected, context + ": the zone has no NS records");
  return ns_names;
}

/// An A and an AAAA question per name, in that order (answers are matched up by position).
std::vector<ports::DnsQuestion> addressQuestions(const std::vector<std::string>& ns_names,
                                                 const std::string& zone,
                                                 const ZoneLocatorOptions& options) {
  std::vector<ports::DnsQuestion> questions;
  for (const auto& ns : ns_names) {
    const bool in_zone = isAtOrBelow(ns, zone);
    const bool use_resolver = !in_zone && options.resolver.has_value();
    const ports::DnsServer& server = use_resolver ? *options.resolver : options.update_target;
    for (const DnsType type : {DnsType::A, DnsType::AAAA})
      questions.push_back(ports::DnsQuestion{server, ns, type, use_resolver});
  }
  return questions;
}

/// Servers in first-seen order, each address once.
class ServerList {
 public:
  void add(std::string label, ports::DnsServer address) {
    const bool known = std::any_of(servers_.begin(), servers_.end(), [&](const auto& existing) {
      return existing.address == address;
    });
    if (!known)
      servers_.push_back(ports::AuthoritativeServer{std::move(label), std::move(address)});
  }
  std::vector<ports::AuthoritativeServer> take() { return std::move(servers_); }

 private:
  std::vector<ports::AuthoritativeServer> servers_;
};

/// Adds the addresses answered for name server `index`; a name server without any address is
/// an error because every server must be checked.
Result<void> addAddressesOf(std::size_t index, const std::vector<std::string>& ns_names,
                            const std::vector<ports::DnsQuestion>& questions,
                            const std::vector<Result<ports::DnsAnswer>>& answers,
                            std::uint16_t authority_port, const std::string& context,
                            ServerList& servers) {
  const std::string& ns_name = ns_names[index];
  std::size_t found = 0;
  std::string why;
  for (std::size_t k = 2 * index; k < 2 * index + 2; ++k) {
    if (!answers[k]) {
      why = answers[k].error().message;
      continue;
    }
    for (const auto& record : answers[k]->recordsOf(ns_name, questions[k].type)) {
      servers.add(ns_name, ports::DnsServer{record.rdata_text, authority_port});
      ++found;
    }
  }
  if (found == 0) {
    return fail(ErrorKind::Transient, context + ": name server " + ns_name +
                                          " has no A or AAAA record" +
                                          (why.empty() ? std::string() : " (" + why + ")") +
                                          "; every server must be checked, so this stops the run");
  }
  return {};
}

}  // namespace

Result<ports::ZoneApex> QueryingZoneLocator::discoverZone(const std::string& owner) {
  const std::string start = canonicalName(owner);
  const std::string target = options_.update_target.toString();
  std::string name = start;
  std::string last_reply;
  for (int steps = 0; steps < 128; ++steps) {
    auto answer = query_.query(options_.update_target, name, DnsType::SOA);
    if (!answer) return fail(answer.error().withContext("finding the zone of " + start));
    last_reply = rcodeName(answer->rcode) + " for " + name;
    if (answer->rcode == DnsRcode::NoError && answer->authoritative && answer->answer_soa &&
        answer->answer_soa->zone == name) {
      return ports::ZoneApex{name, *answer->answer_soa};
    }
    const bool referral =
        answer->rcode == DnsRcode::NoError && !answer->authoritative &&
        std::any_of(answer->authority.begin(), answer->authority.end(),
                    [](const ports::DnsRecord& record) { return record.type == DnsType::NS; });
    if (referral) return delegatedElsewhere(target, name, start);
    // A negative answer names the apex in its SOA: jump there instead of walking label by label.
    if (answer->authoritative && answer->authority_soa && answer->authority_soa->zone != name &&
        isAtOrBelow(name, answer->authority_soa->zone)) {
      name = answer->authority_soa->zone;
      continue;
    }
    if (name == ".") break;
    name = parentName(name);
  }
  return fail(ErrorKind::Rejected, target + " is not authoritative for any zone containing " +
                                       start + " (last reply: " + last_reply + ")");
}

Result<std::vector<ports::AuthoritativeServer>> QueryingZoneLocator::authoritativeAddresses(
    const std::string& zone_name) {
  const std::string zone = canonicalName(zone_name);
  const std::string context = "finding the name servers of " + zone;
  auto ns_names = nameServerNames(query_, options_.update_target, zone, context);
  if (!ns_names) return fail(ns_names.error());
  const auto questions = addressQuestions(*ns_names, zone, options_);
  const auto answers = query_.queryAll(questions);

  ServerList servers;
  for (std::size_t i = 0; i < ns_names->size(); ++i) {
    auto added =
        addAddressesOf(i, *ns_names, questions, answers, options_.authority_port, context, servers);
    if (!added) return fail(added.error());
  }
  servers.add("update target", options_.update_target);
  for (const auto& extra : options_.extra_servers)
    servers.add("extra server", extra);
  return servers.take();
}

}  // namespace daneguard::adapters::dns
