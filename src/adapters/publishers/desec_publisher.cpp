// deSEC publisher (see the header).
#include "adapters/publishers/desec_publisher.hpp"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core/tlsa/tlsa_presentation.hpp"
#include "ports/publisher_directory.hpp"

namespace daneguard::adapters::publishers {
namespace {

using nlohmann::json;

/// deSEC answers {"detail": "..."} or field errors {"ttl": ["..."]}; a bulk request answers a
/// list with one such object per RRset.
void collectMessages(const json& value, const std::string& field, std::string& out) {
  if (value.is_string()) {
    const std::string text = field.empty() || field == "detail" || field == "non_field_errors"
                                 ? value.get<std::string>()
                                 : field + ": " + value.get<std::string>();
    out += (out.empty() ? "" : "; ") + text;
  } else if (value.is_array()) {
    for (const json& item : value)
      collectMessages(item, field, out);
  } else if (value.is_object()) {
    for (const auto& [key, item] : value.items())
      collectMessages(item, key, out);
  }
}

std::string desecMessage(const std::string& body) {
  const json parsed = json::parse(body, nullptr, false);
  std::string message;
  if (!parsed.is_discarded()) collectMessages(parsed, "", message);
  if (!message.empty()) return message;
  std::string text = body.substr(0, 200);
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

std::string withoutDot(const std::string& name) {
  return !name.empty() && name.back() == '.' ? name.substr(0, name.size() - 1) : name;
}

class DesecUpdate final : public ports::DnsUpdate, public ports::PublisherAccessCheck {
 public:
  DesecUpdate(const config::DesecPublisher& publisher, std::string_view name, SecretBytes token,
              ApiPublisherDependencies dependencies)
      : context_("desec", std::string(name), publisher.common, std::move(dependencies)),
        token_(std::move(token)),
        api_url_(publisher.api_url) {}

  Result<ports::UpdateOutcome> apply(const ports::UpdateRequest& request) override {
    const std::string zone = canonicalDnsName(request.zone);
    const std::string domain_url = api_url_ + "/domains/" + percentEncode(withoutDot(zone));
    const std::vector<std::string> owners = ownersOf(request);
    std::vector<ProviderRrset> rrsets;
    for (const std::string& owner : owners) {
      if (!relativeName(owner, zone))
        return fail(ErrorKind::Internal,
                    context_.where(zone) + ": " + owner + " is not inside the zone");
      auto rrset = read(zone, domain_url, owner);
      if (!rrset) return fail(std::move(rrset.error()));
      if (auto held = checkPrerequisites(request, *rrset); !held)
        return fail(held.error().kind, context_.where(zone) + ": " + held.error().message);
      rrsets.push_back(std::move(*rrset));
    }

    ports::UpdateOutcome outcome{request.server, request.zone, 0, 0, false};
    json bulk = json::array();
    for (const ProviderRrset& rrset : rrsets) {
      const RrsetChange change =
          mergeRrset(rrset, additionsAt(request, rrset.owner), deletionsAt(request, rrset.owner));
      if (!change.changed()) continue;
      outcome.added += change.added.size();
      outcome.deleted += change.removed.size();
      json entry = {{"subname", *relativeName(rrset.owner, zone)}, {"type", "TLSA"}};
      json records = json::array();
      for (const KeptRecord& kept : change.contents)
        records.push_back(kept.content);
      if (!change.contents.empty()) {
        std::uint32_t ttl = change.added.empty() && rrset.exists ? rrset.ttl : request.ttl_seconds;
        auto minimum = minimumTtl(zone, domain_url);
        if (!minimum) return fail(std::move(minimum.error()));
        if (ttl < *minimum) {
          context_.warn(
              fmt::format("zone {}: the domain's minimum TTL at deSEC is {} s; "
                          "publishing {} with TTL {} s instead of {} s",
                          zone, *minimum, rrset.owner, *minimum, ttl));
          ttl = *minimum;
        }
        entry["ttl"] = ttl;
      }
      entry["records"] = std::move(records);  // empty: deSEC deletes the RRset
      bulk.push_back(std::move(entry));
    }
    if (bulk.empty()) return outcome;

    ports::HttpRequest patch = baseRequest("PATCH", domain_url + "/rrsets/");
    patch.body = bulk.dump();
    auto patched = context_.send(patch);
    if (!patched) return fail(context_.transportError(zone, patched.error()));
    if (patched->status != 200 && patched->status != 204)
      return fail(context_.httpError(zone, patch, *patched, desecMessage(patched->body)));

    for (const std::string& owner : owners) {
      auto rrset = read(zone, domain_url, owner);
      if (!rrset)
        return fail(ErrorKind::Ambiguous, "reading back after the PATCH: " + rrset.error().message);
      if (mergeRrset(*rrset, additionsAt(request, owner), deletionsAt(request, owner)).changed())
        return fail(ErrorKind::PreconditionFailed,
                    context_.where(zone) + ": after the PATCH the TLSA RRset at " + owner +
                        " is not as written; another editor changed it at the same time");
    }
    return outcome;
  }

  /// Read-only: GET of the domain (and of each owner's TLSA RRset). A token policy that forbids
  /// writing TLSA RRsets is not visible to a read, which the message says.
  Result<std::string> checkAccess(const ports::DnsServer& /*server*/, const std::string& zone_name,
                                  const std::vector<std::string>& owners) override {
    const std::string zone = canonicalDnsName(zone_name);
    const std::string domain_url = api_url_ + "/domains/" + percentEncode(withoutDot(zone));
    auto minimum = minimumTtl(zone, domain_url);
    if (!minimum) return fail(std::move(minimum.error()));
    std::size_t held = 0;
    for (const std::string& owner : owners) {
      if (!relativeName(owner, zone))
        return fail(ErrorKind::Internal,
                    context_.where(zone) + ": " + owner + " is not inside the zone");
      auto rrset = read(zone, domain_url, owner);
      if (!rrset) return fail(std::move(rrset.error()));
      held += rrset->records.size();
    }
    return fmt::format(
        "{}: the token may read the domain (minimum TTL {} s) and its TLSA RRsets ({} record(s) "
        "at {} owner name(s)); a token policy must also allow writing TLSA at these names",
        context_.where(zone), *minimum, held, owners.size());
  }

 private:
  ports::HttpRequest baseRequest(std::string method, std::string url) const {
    ports::HttpRequest request;
    request.method = std::move(method);
    request.url = std::move(url);
    request.headers = {{"Accept", "application/json"}, {"Content-Type", "application/json"}};
    request.credential = ports::HttpCredentialHeader{"Authorization", "Token ", &token_};
    return request;
  }

  Result<ProviderRrset> read(const std::string& zone, const std::string& domain_url,
                             const std::string& owner) {
    const std::string subname = *relativeName(owner, zone);
    const ports::HttpRequest request =
        baseRequest("GET", domain_url + "/rrsets/" +
                               (subname.empty() ? "@" : percentEncode(subname)) + "/TLSA/");
    auto response = context_.send(request);
    if (!response) return fail(context_.transportError(zone, response.error()));
    ProviderRrset rrset;
    rrset.owner = owner;
    if (response->status == 404) {
      // The RRset is absent, or the domain is not in this account: tell them apart.
      if (auto minimum = minimumTtl(zone, domain_url); !minimum) return fail(minimum.error());
      return rrset;
    }
    if (response->status != 200)
      return fail(context_.httpError(zone, request, *response, desecMessage(response->body)));
    const json body = json::parse(response->body, nullptr, false);
    if (!body.is_object() || !body.contains("records") || !body["records"].is_array())
      return fail(ErrorKind::ProtocolViolation,
                  context_.where(zone) + ": GET " + request.url + ": no records list");
    rrset.ttl = body.value("ttl", 0U);
    for (const json& content : body["records"]) {
      if (!content.is_string()) continue;
      ProviderRecord record;
      record.content = content.get<std::string>();
      if (auto parsed = parseTlsaRdataFromDns(record.content)) record.parsed = *parsed;
      rrset.records.push_back(std::move(record));
    }
    rrset.exists = !rrset.records.empty();
    return rrset;
  }

  /// The domain's minimum_ttl (GET /domains/{name}/), cached; NotFound when the token's
  /// account does not hold the domain.
  Result<std::uint32_t> minimumTtl(const std::string& zone, const std::string& domain_url) {
    if (const auto cached = minimum_ttls_.find(zone); cached != minimum_ttls_.end())
      return cached->second;
    const ports::HttpRequest request = baseRequest("GET", domain_url + "/");
    auto response = context_.send(request);
    if (!response) return fail(context_.transportError(zone, response.error()));
    if (response->status == 404)
      return fail(ErrorKind::NotFound, context_.where(zone) +
                                           ": the deSEC account of this token holds no such "
                                           "domain (GET " +
                                           request.url + " answered 404)");
    if (response->status != 200)
      return fail(context_.httpError(zone, request, *response, desecMessage(response->body)));
    const json body = json::parse(response->body, nullptr, false);
    std::uint32_t minimum = 0;
    if (body.is_object() && body.contains("minimum_ttl") &&
        body["minimum_ttl"].is_number_unsigned())
      minimum = body["minimum_ttl"].get<std::uint32_t>();
    minimum_ttls_[zone] = minimum;
    return minimum;
  }

  ApiContext context_;
  SecretBytes token_;
  std::string api_url_;
  std::map<std::string, std::uint32_t> minimum_ttls_;
};

}  // namespace

Result<std::unique_ptr<ports::DnsUpdate>> makeDesecUpdater(const config::DesecPublisher& publisher,
                                                           std::string_view publisher_name,
                                                           ApiPublisherDependencies dependencies) {
  auto token = loadApiCredentials(publisher.token);
  if (!token)
    return fail(token.error().withContext("desec publisher '" + std::string(publisher_name) + "'"));
  return std::make_unique<DesecUpdate>(publisher, publisher_name, std::move(*token),
                                       std::move(dependencies));
}

}  // namespace daneguard::adapters::publishers
