// PowerDNS HTTP API publisher (see the header).
#include "adapters/publishers/pdns_publisher.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/tlsa/tlsa_presentation.hpp"
#include "ports/publisher_directory.hpp"

namespace daneguard::adapters::publishers {
namespace {

using nlohmann::json;

/// PowerDNS puts its reason in {"error": "..."} (and sometimes a list in "errors").
std::string powerDnsMessage(const std::string& body) {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    std::string message;
    if (const auto error = parsed.find("error"); error != parsed.end() && error->is_string())
      message = error->get<std::string>();
    if (const auto errors = parsed.find("errors"); errors != parsed.end() && errors->is_array())
      for (const json& item : *errors)
        if (item.is_string()) message += (message.empty() ? "" : "; ") + item.get<std::string>();
    if (!message.empty()) return message;
  }
  std::string text = body.substr(0, 200);
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

struct ZoneState {
  std::string id;
  bool dnssec = false;
  bool api_rectify = true;
  bool presigned = false;
  std::vector<ProviderRrset> rrsets;  // the TLSA RRsets at the owners asked for
};

class PowerDnsUpdate final : public ports::DnsUpdate, public ports::PublisherAccessCheck {
 public:
  PowerDnsUpdate(const config::PowerDnsPublisher& publisher, std::string_view name, SecretBytes key,
                 ApiPublisherDependencies dependencies)
      : context_("pdns", std::string(name), publisher.common, std::move(dependencies)),
        key_(std::move(key)) {
    std::string url = publisher.api_url;
    if (url.size() < 7 || url.compare(url.size() - 7, 7, "/api/v1") != 0) url += "/api/v1";
    server_url_ = url + "/servers/" + percentEncode(publisher.server_id);
  }

  Result<ports::UpdateOutcome> apply(const ports::UpdateRequest& request) override {
    const std::string zone = canonicalDnsName(request.zone);
    const std::vector<std::string> owners = ownersOf(request);
    for (const std::string& owner : owners)
      if (!relativeName(owner, zone))
        return fail(ErrorKind::Internal,
                    context_.where(zone) + ": " + owner + " is not inside the zone");
    auto zone_id = findZone(zone);
    if (!zone_id) return fail(std::move(zone_id.error()));
    auto state = readZone(zone, *zone_id, owners);
    if (!state) return fail(std::move(state.error()));

    ports::UpdateOutcome outcome{request.server, request.zone, 0, 0, false};
    json rrsets = json::array();
    std::vector<RrsetChange> changes;
    for (const ProviderRrset& rrset : state->rrsets) {
      if (auto held = checkPrerequisites(request, rrset); !held)
        return fail(held.error().kind, context_.where(zone) + ": " + held.error().message);
      RrsetChange change =
          mergeRrset(rrset, additionsAt(request, rrset.owner), deletionsAt(request, rrset.owner));
      if (!change.changed()) continue;
      outcome.added += change.added.size();
      outcome.deleted += change.removed.size();
      json entry = {{"name", rrset.owner}, {"type", "TLSA"}};
      if (change.contents.empty()) {
        entry["changetype"] = "DELETE";
      } else {
        entry["changetype"] = "REPLACE";
        entry["ttl"] = change.added.empty() && rrset.exists ? rrset.ttl : request.ttl_seconds;
        json records = json::array();
        for (const KeptRecord& kept : change.contents)
          records.push_back({{"content", kept.content}, {"disabled", kept.disabled}});
        entry["records"] = std::move(records);
      }
      rrsets.push_back(std::move(entry));
      changes.push_back(std::move(change));
    }
    if (rrsets.empty()) return outcome;  // everything is already as asked: idempotent

    ports::HttpRequest patch = baseRequest("PATCH", zoneUrl(state->id));
    patch.body = json{{"rrsets", rrsets}}.dump();
    auto patched = context_.send(patch);
    if (!patched) return fail(context_.transportError(zone, patched.error()));
    if (patched->status != 204 && patched->status != 200)
      return fail(context_.httpError(zone, patch, *patched, powerDnsMessage(patched->body)));

    if (state->dnssec && !state->api_rectify && !state->presigned)
      if (auto rectified = rectify(zone, state->id); !rectified) return fail(rectified.error());
    if (auto verified = verifyWritten(request, zone, state->id, owners); !verified)
      return fail(verified.error());
    return outcome;
  }

  /// Read-only: the zone lookup and GET of the zone, with the key, exactly as apply() starts.
  /// PowerDNS keys are server-wide, so a key that may read the zone may also change it.
  Result<std::string> checkAccess(const ports::DnsServer& /*server*/, const std::string& zone_name,
                                  const std::vector<std::string>& owners) override {
    const std::string zone = canonicalDnsName(zone_name);
    auto zone_id = findZone(zone);
    if (!zone_id) return fail(std::move(zone_id.error()));
    auto state = readZone(zone, *zone_id, owners);
    if (!state) return fail(std::move(state.error()));
    std::size_t held = 0;
    for (const ProviderRrset& rrset : state->rrsets)
      held += rrset.records.size();
    return fmt::format(
        "{}: the API key may read the zone ({} TLSA record(s) at {} owner name(s); "
        "PowerDNS API keys are not scoped, so it may also change them){}",
        context_.where(zone), held, owners.size(),
        state->dnssec && !state->api_rectify && !state->presigned
            ? "; DNSSEC zone without api_rectify: daneguard rectifies after each change"
            : "");
  }

 private:
  ports::HttpRequest baseRequest(std::string method, std::string url) const {
    ports::HttpRequest request;
    request.method = std::move(method);
    request.url = std::move(url);
    request.headers = {{"Accept", "application/json"}, {"Content-Type", "application/json"}};
    request.credential = ports::HttpCredentialHeader{"X-API-Key", "", &key_};
    return request;
  }

  [[nodiscard]] std::string zoneUrl(const std::string& zone_id) const {
    return server_url_ + "/zones/" + percentEncode(zone_id);
  }

  /// The zone's id on this server (usually its name; escaped forms exist for odd names).
  Result<std::string> findZone(const std::string& zone) {
    ports::HttpRequest request =
        baseRequest("GET", server_url_ + "/zones?zone=" + percentEncode(zone));
    auto response = context_.send(request);
    if (!response) return fail(context_.transportError(zone, response.error()));
    if (response->status != 200)
      return fail(context_.httpError(zone, request, *response, powerDnsMessage(response->body)));
    const json zones = json::parse(response->body, nullptr, false);
    if (!zones.is_array())
      return fail(ErrorKind::ProtocolViolation,
                  context_.where(zone) + ": the zone list is not a JSON array");
    for (const json& entry : zones)
      if (entry.is_object() && entry.value("name", "") == zone && entry.contains("id") &&
          entry["id"].is_string())
        return entry["id"].get<std::string>();
    return fail(ErrorKind::NotFound,
                context_.where(zone) + ": the PowerDNS server (" + server_url_ +
                    ") does not hold this zone; check the publisher's api_url and server_id, or "
                    "whether dns_server points at the server behind this API");
  }

  Result<ZoneState> readZone(const std::string& zone, const std::string& zone_id,
                             const std::vector<std::string>& owners) {
    ports::HttpRequest request = baseRequest("GET", zoneUrl(zone_id));
    auto response = context_.send(request);
    if (!response) return fail(context_.transportError(zone, response.error()));
    if (response->status != 200)
      return fail(context_.httpError(zone, request, *response, powerDnsMessage(response->body)));
    const json parsed = json::parse(response->body, nullptr, false);
    if (!parsed.is_object() || !parsed.contains("rrsets") || !parsed["rrsets"].is_array())
      return fail(ErrorKind::ProtocolViolation,
                  context_.where(zone) + ": the zone object has no rrsets list");
    ZoneState state;
    state.id = zone_id;
    state.dnssec = parsed.value("dnssec", false);
    state.api_rectify = parsed.value("api_rectify", true);
    state.presigned = parsed.value("presigned", false);
    for (const std::string& owner : owners) {
      ProviderRrset rrset;
      rrset.owner = owner;
      for (const json& entry : parsed["rrsets"]) {
        if (!entry.is_object() || entry.value("type", "") != "TLSA" ||
            canonicalDnsName(entry.value("name", "")) != owner)
          continue;
        rrset.ttl = entry.value("ttl", 0U);
        if (!entry.contains("records") || !entry["records"].is_array()) continue;
        for (const json& record : entry["records"]) {
          if (!record.is_object() || !record.contains("content")) continue;
          ProviderRecord held;
          held.content = record.value("content", "");
          held.disabled = record.value("disabled", false);
          if (auto tlsa = parseTlsaRdataFromDns(held.content)) held.parsed = *tlsa;
          rrset.records.push_back(std::move(held));
        }
        rrset.exists = !rrset.records.empty();
      }
      state.rrsets.push_back(std::move(rrset));
    }
    return state;
  }

  Result<void> rectify(const std::string& zone, const std::string& zone_id) {
    ports::HttpRequest request = baseRequest("PUT", zoneUrl(zone_id) + "/rectify");
    auto response = context_.send(request);
    if (!response) return fail(context_.transportError(zone, response.error()));
    if (response->status != 200)
      return fail(context_.httpError(zone, request, *response, powerDnsMessage(response->body))
                      .withContext("the records were written but rectifying failed"));
    return {};
  }

  /// Reads back: our additions must be served and our deletions gone. Anything else means a
  /// concurrent editor won (or lost) a race with us; the runner observes again.
  Result<void> verifyWritten(const ports::UpdateRequest& request, const std::string& zone,
                             const std::string& zone_id, const std::vector<std::string>& owners) {
    auto state = readZone(zone, zone_id, owners);
    if (!state)
      return fail(ErrorKind::Ambiguous, "reading back after the PATCH: " + state.error().message);
    for (const ProviderRrset& rrset : state->rrsets) {
      const RrsetChange still =
          mergeRrset(rrset, additionsAt(request, rrset.owner), deletionsAt(request, rrset.owner));
      if (still.changed())
        return fail(ErrorKind::PreconditionFailed,
                    context_.where(zone) + ": after the PATCH the TLSA RRset at " + rrset.owner +
                        " is not as written; another editor changed it at the same time");
    }
    return {};
  }

  ApiContext context_;
  SecretBytes key_;
  std::string server_url_;
};

}  // namespace

Result<std::unique_ptr<ports::DnsUpdate>> makePowerDnsUpdater(
    const config::PowerDnsPublisher& publisher, std::string_view publisher_name,
    ApiPublisherDependencies dependencies) {
  auto key = loadApiCredentials(publisher.api_key);
  if (!key)
    return fail(key.error().withContext("pdns publisher '" + std::string(publisher_name) + "'"));
  return std::make_unique<PowerDnsUpdate>(publisher, publisher_name, std::move(*key),
                                          std::move(dependencies));
}

}  // namespace daneguard::adapters::publishers
