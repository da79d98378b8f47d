// Cloudflare API v4 publisher (see the header).
#include "adapters/publishers/cloudflare_publisher.hpp"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core/hex.hpp"
#include "core/tlsa/tlsa_presentation.hpp"
#include "ports/publisher_directory.hpp"

namespace daneguard::adapters::publishers {
namespace {

using nlohmann::json;

// Cloudflare's documented range for non-Enterprise zones is 60-86400 s (1 = "automatic").
constexpr std::uint32_t kMinimumTtl = 60;
constexpr std::uint32_t kMaximumTtl = 86400;
// Cloudflare's error codes for "identical record exists" and "record does not exist": a retry
// after a lost reply meets them, and they mean the work is already done.
constexpr int kIdenticalRecordExists = 81058;
constexpr int kRecordDoesNotExist = 81044;
constexpr int kPerPage = 100;
constexpr int kMaxPages = 1000;

std::vector<int> errorCodes(const json& body) {
  std::vector<int> codes;
  if (body.is_object() && body.contains("errors") && body["errors"].is_array())
    for (const json& error : body["errors"])
      if (error.is_object() && error.contains("code") && error["code"].is_number_integer())
        codes.push_back(error["code"].get<int>());
  return codes;
}

/// "code 10000: Authentication error; code ...", from the {success, errors, ...} envelope.
std::string cloudflareMessage(const std::string& body) {
  const json parsed = json::parse(body, nullptr, false);
  std::string message;
  if (parsed.is_object() && parsed.contains("errors") && parsed["errors"].is_array()) {
    for (const json& error : parsed["errors"]) {
      if (!error.is_object()) continue;
      std::string text = error.value("message", "");
      if (error.contains("code") && error["code"].is_number_integer())
        text = fmt::format("code {}: {}", error["code"].get<int>(), text);
      message += (message.empty() ? "" : "; ") + text;
    }
  }
  if (!message.empty()) return message;
  std::string text = body.substr(0, 200);
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

std::string withoutDot(const std::string& name) {
  return !name.empty() && name.back() == '.' ? name.substr(0, name.size() - 1) : name;
}

std::optional<TlsaRecord> recordFrom(const json& entry) {
  if (entry.contains("data") && entry["data"].is_object()) {
    const json& data = entry["data"];
    if (data.contains("usage") && data.contains("selector") && data.contains("matching_type") &&
        data.contains("certificate") && data["certificate"].is_string()) {
      const auto number = [&](const char* key) -> std::optional<int> {
        if (!data[key].is_number_integer()) return std::nullopt;
        return data[key].get<int>();
      };
      const auto usage = number("usage");
      const auto selector = number("selector");
      const auto matching = number("matching_type");
      if (usage && selector && matching) {
        auto parsed = parseTlsaRdataFromDns(fmt::format("{} {} {} {}", *usage, *selector, *matching,
                                                        data["certificate"].get<std::string>()));
        if (parsed) return *parsed;
      }
    }
  }
  if (entry.contains("content") && entry["content"].is_string())
    if (auto parsed = parseTlsaRdataFromDns(entry["content"].get<std::string>())) return *parsed;
  return std::nullopt;
}

class CloudflareUpdate final : public ports::DnsUpdate, public ports::PublisherAccessCheck {
 public:
  CloudflareUpdate(const config::CloudflarePublisher& publisher, std::string_view name,
                   SecretBytes token, ApiPublisherDependencies dependencies)
      : context_("cloudflare", std::string(name), publisher.common, std::move(dependencies)),
        token_(std::move(token)),
        api_url_(publisher.api_url),
        configured_zone_id_(publisher.zone_id) {}

  Result<ports::UpdateOutcome> apply(const ports::UpdateRequest& request) override {
    const std::string zone = canonicalDnsName(request.zone);
    auto zone_id = zoneId(zone);
    if (!zone_id) return fail(std::move(zone_id.error()));
    const std::vector<std::string> owners = ownersOf(request);

    std::vector<ProviderRrset> rrsets;
    for (const std::string& owner : owners) {
      if (!relativeName(owner, zone))
        return fail(ErrorKind::Internal,
                    context_.where(zone) + ": " + owner + " is not inside the zone");
      auto rrset = list(zone, *zone_id, owner);
      if (!rrset) return fail(std::move(rrset.error()));
      if (auto held = checkPrerequisites(request, *rrset); !held)
        return fail(held.error().kind, context_.where(zone) + ": " + held.error().message);
      rrsets.push_back(std::move(*rrset));
    }

    std::uint32_t ttl = request.ttl_seconds;
    if (ttl < kMinimumTtl || ttl > kMaximumTtl) {
      const std::uint32_t used = std::clamp(ttl, kMinimumTtl, kMaximumTtl);
      if (!request.additions.empty())
        context_.warn(
            fmt::format("zone {}: Cloudflare accepts TTLs of {}-{} s; using {} s "
                        "instead of {} s",
                        zone, kMinimumTtl, kMaximumTtl, used, ttl));
      ttl = used;
    }

    ports::UpdateOutcome outcome{request.server, request.zone, 0, 0, false};
    std::vector<std::pair<const ProviderRrset*, RrsetChange>> changes;
    for (const ProviderRrset& rrset : rrsets) {
      RrsetChange change =
          mergeRrset(rrset, additionsAt(request, rrset.owner), deletionsAt(request, rrset.owner));
      if (change.changed()) changes.emplace_back(&rrset, std::move(change));
    }
    for (const auto& [rrset, change] : changes) {
      for (const TlsaRecord& record : change.added) {
        if (auto created = create(zone, *zone_id, rrset->owner, record, ttl); !created)
          return fail(created.error());
        ++outcome.added;
      }
    }
    for (const auto& [rrset, change] : changes) {
      for (const ProviderRecord* record : change.removed) {
        if (auto removed = remove(zone, *zone_id, record->id); !removed)
          return fail(removed.error());
        ++outcome.deleted;
      }
    }
    if (changes.empty()) return outcome;
    for (const std::string& owner : owners) {
      auto rrset = list(zone, *zone_id, owner);
      if (!rrset)
        return fail(ErrorKind::Ambiguous,
                    "reading back after the update: " + rrset.error().message);
      if (mergeRrset(*rrset, additionsAt(request, owner), deletionsAt(request, owner)).changed())
        return fail(ErrorKind::PreconditionFailed,
                    context_.where(zone) + ": after the update the TLSA records at " + owner +
                        " are not as written; another editor changed them at the same time");
    }
    return outcome;
  }

  /// Read-only: the zone lookup and a listing of the TLSA records at each owner, as apply()
  /// starts. A token scoped to DNS:Read passes this too: Cloudflare has no way to ask whether
  /// it may edit short of editing, which the message says.
  Result<std::string> checkAccess(const ports::DnsServer& /*server*/, const std::string& zone_name,
                                  const std::vector<std::string>& owners) override {
    const std::string zone = canonicalDnsName(zone_name);
    auto zone_id = zoneId(zone);
    if (!zone_id) return fail(std::move(zone_id.error()));
    std::size_t held = 0;
    for (const std::string& owner : owners) {
      if (!relativeName(owner, zone))
        return fail(ErrorKind::Internal,
                    context_.where(zone) + ": " + owner + " is not inside the zone");
      auto rrset = list(zone, *zone_id, owner);
      if (!rrset) return fail(std::move(rrset.error()));
      held += rrset->records.size();
    }
    return fmt::format(
        "{}: the token may look up the zone and list its TLSA records ({} at {} owner name(s)); "
        "editing them needs the token's Zone.DNS:Edit permission, which only a change can prove",
        context_.where(zone), held, owners.size());
  }

 private:
  ports::HttpRequest baseRequest(std::string method, std::string url) const {
    ports::HttpRequest request;
    request.method = std::move(method);
    request.url = std::move(url);
    request.headers = {{"Accept", "application/json"}, {"Content-Type", "application/json"}};
    request.credential = ports::HttpCredentialHeader{"Authorization", "Bearer ", &token_};
    return request;
  }

  /// Sends and parses the envelope; an error unless HTTP 200 and success=true.
  Result<json> call(const std::string& zone, const ports::HttpRequest& request,
                    std::vector<int>* codes = nullptr) {
    auto response = context_.send(request);
    if (!response) return fail(context_.transportError(zone, response.error()));
    json body = json::parse(response->body, nullptr, false);
    if (codes != nullptr) *codes = errorCodes(body);
    if (response->status != 200 || !body.is_object() || !body.value("success", false))
      return fail(context_.httpError(zone, request, *response, cloudflareMessage(response->body)));
    return body;
  }

  Result<std::string> zoneId(const std::string& zone) {
    if (configured_zone_id_) return *configured_zone_id_;
    if (const auto cached = zone_ids_.find(zone); cached != zone_ids_.end()) return cached->second;
    const ports::HttpRequest request =
        baseRequest("GET", api_url_ + "/zones?name=" + percentEncode(withoutDot(zone)));
    auto body = call(zone, request);
    if (!body) return fail(std::move(body.error()));
    if ((*body)["result"].is_array())
      for (const json& entry : (*body)["result"])
        if (entry.is_object() && canonicalDnsName(entry.value("name", "")) == zone &&
            entry.contains("id") && entry["id"].is_string()) {
          zone_ids_[zone] = entry["id"].get<std::string>();
          return zone_ids_[zone];
        }
    return fail(ErrorKind::NotFound,
                context_.where(zone) + ": no zone of this name is visible to the token (GET " +
                    request.url + " listed none); check the token's zone resources or set zone_id");
  }

  Result<ProviderRrset> list(const std::string& zone, const std::string& zone_id,
                             const std::string& owner) {
    ProviderRrset rrset;
    rrset.owner = owner;
    for (int page = 1; page <= kMaxPages; ++page) {
      const ports::HttpRequest request = baseRequest(
          "GET",
          fmt::format("{}/zones/{}/dns_records?type=TLSA&name={}&page={}&per_page={}", api_url_,
                      percentEncode(zone_id), percentEncode(withoutDot(owner)), page, kPerPage));
      auto body = call(zone, request);
      if (!body) return fail(std::move(body.error()));
      if (!(*body)["result"].is_array())
        return fail(ErrorKind::ProtocolViolation,
                    context_.where(zone) + ": GET " + request.url + ": result is not a list");
      for (const json& entry : (*body)["result"]) {
        if (!entry.is_object() || entry.value("type", "") != "TLSA" ||
            canonicalDnsName(entry.value("name", "")) != owner)
          continue;
        ProviderRecord record;
        record.id = entry.value("id", "");
        record.content = entry.value("content", "");
        record.parsed = recordFrom(entry);
        rrset.ttl = entry.value("ttl", 0U);
        rrset.records.push_back(std::move(record));
      }
      int total_pages = 1;
      if (body->contains("result_info") && (*body)["result_info"].is_object())
        total_pages = (*body)["result_info"].value("total_pages", 1);
      if (page >= total_pages) break;
    }
    rrset.exists = !rrset.records.empty();
    return rrset;
  }

  Result<void> create(const std::string& zone, const std::string& zone_id, const std::string& owner,
                      const TlsaRecord& record, std::uint32_t ttl) {
    ports::HttpRequest request = baseRequest(
        "POST", fmt::format("{}/zones/{}/dns_records", api_url_, percentEncode(zone_id)));
    request.body = json{{"type", "TLSA"},
                        {"name", withoutDot(owner)},
                        {"ttl", ttl},
                        {"data",
                         {{"usage", static_cast<int>(record.parameters.usage)},
                          {"selector", static_cast<int>(record.parameters.selector)},
                          {"matching_type", static_cast<int>(record.parameters.matching_type)},
                          {"certificate", toHex(record.data)}}}}
                       .dump();
    std::vector<int> codes;
    auto body = call(zone, request, &codes);
    if (!body && std::find(codes.begin(), codes.end(), kIdenticalRecordExists) != codes.end())
      return {};  // a retry after a lost reply: the record is there
    if (!body) return fail(std::move(body.error()));
    return {};
  }

  Result<void> remove(const std::string& zone, const std::string& zone_id,
                      const std::string& record_id) {
    if (record_id.empty())
      return fail(ErrorKind::ProtocolViolation,
                  context_.where(zone) + ": a listed record has no id, so it cannot be deleted");
    const ports::HttpRequest request =
        baseRequest("DELETE", fmt::format("{}/zones/{}/dns_records/{}", api_url_,
                                          percentEncode(zone_id), percentEncode(record_id)));
    std::vector<int> codes;
    auto body = call(zone, request, &codes);
    if (!body && std::find(codes.begin(), codes.end(), kRecordDoesNotExist) != codes.end())
      return {};  // already gone
    if (!body) return fail(std::move(body.error()));
    return {};
  }

  ApiContext context_;
  SecretBytes token_;
  std::string api_url_;
  std::optional<std::string> configured_zone_id_;
  std::map<std::string, std::string> zone_ids_;
};

}  // namespace

Result<std::unique_ptr<ports::DnsUpdate>> makeCloudflareUpdater(
    const config::CloudflarePublisher& publisher, std::string_view publisher_name,
    ApiPublisherDependencies dependencies) {
  auto token = loadApiCredentials(publisher.token);
  if (!token)
    return fail(
        token.error().withContext("cloudflare publisher '" + std::string(publisher_name) + "'"));
  return std::make_unique<CloudflareUpdate>(publisher, publisher_name, std::move(*token),
                                            std::move(dependencies));
}

}  // namespace daneguard::adapters::publishers
