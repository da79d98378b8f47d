// Shared parts of the HTTP API publishers (see the header).
#include "adapters/publishers/api_publisher_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <type_traits>
#include <variant>

#include "adapters/clock/system_clock.hpp"
#include "adapters/http/api_token.hpp"
#include "adapters/http/curl_http_client.hpp"
#include "core/tlsa/tlsa_presentation.hpp"

namespace daneguard::adapters::publishers {

ApiContext::ApiContext(std::string kind, std::string publisher_name,
                       const config::ApiPublisherCommon& common,
                       ApiPublisherDependencies dependencies)
    : kind_(std::move(kind)),
      publisher_name_(std::move(publisher_name)),
      http_(dependencies.http),
      clock_(dependencies.clock),
      retry_(dependencies.retry),
      warn_(std::move(dependencies.warn)) {
  if (http_ == nullptr) {
    http::CurlHttpOptions options;
    options.ca_file = common.ca_file;
    owned_http_ = std::make_unique<http::CurlHttpClient>(std::move(options));
    http_ = owned_http_.get();
  }
  if (clock_ == nullptr) {
    owned_clock_ = std::make_unique<clock::SystemClock>();
    clock_ = owned_clock_.get();
  }
}

ApiContext::~ApiContext() = default;

void ApiContext::warn(const std::string& message) const {
  const std::string line = fmt::format("{} publisher '{}': {}", kind_, publisher_name_, message);
  if (warn_)
    warn_(line);
  else
    fmt::print(stderr, "daneguard: warning: {}\n", line);
}

Result<ports::HttpResponse> ApiContext::send(const ports::HttpRequest& request) {
  return http::sendWithRetries(*http_, request, *clock_, retry_,
                               [this](const std::string& notice) { warn(notice); });
}

std::string ApiContext::where(std::string_view zone) const {
  return fmt::format("{} publisher '{}', zone {}", kind_, publisher_name_, zone);
}

Error ApiContext::httpError(std::string_view zone, const ports::HttpRequest& request,
                            const ports::HttpResponse& response,
                            const std::string& provider_message) const {
  ErrorKind kind = ErrorKind::Rejected;
  if (response.status == 401 || response.status == 403)
    kind = ErrorKind::AuthFailure;
  else if (response.status == 404)
    kind = ErrorKind::NotFound;
  else if (response.status == 409 || response.status == 412)
    kind = ErrorKind::PreconditionFailed;
  else if (response.status == 429 || response.status >= 500)
    kind = ErrorKind::Transient;
  std::string message = fmt::format("{}: {} {} answered HTTP {}", where(zone), request.method,
                                    request.url, response.status);
  if (!provider_message.empty()) message += ": " + provider_message;
  if (kind == ErrorKind::AuthFailure)
    message += " (check the token or API key and its permissions for this zone)";
  return Error{kind, std::move(message)};
}

Error ApiContext::transportError(std::string_view zone, const Error& error) const {
  return Error{error.kind, fmt::format("{}: {}", where(zone), error.message)};
}

Result<SecretBytes> loadApiCredentials(const config::ApiCredentials& credentials) {
  return std::visit(
      [](const auto& source) -> Result<SecretBytes> {
        using Source = std::decay_t<decltype(source)>;
        if constexpr (std::is_same_v<Source, config::ApiTokenFile>)
          return http::readTokenFile(source.path);
        else
          return http::readTokenEnvironment(source.variable);
      },
      credentials);
}

RrsetChange mergeRrset(const ProviderRrset& rrset, const std::vector<TlsaRecord>& additions,
                       const std::vector<TlsaRecord>& deletions) {
  RrsetChange change;
  const auto listed = [](const std::vector<TlsaRecord>& list, const TlsaRecord& record) {
    return std::find(list.begin(), list.end(), record) != list.end();
  };
  std::vector<TlsaRecord> served;
  for (const ProviderRecord& record : rrset.records) {
    const bool ours_to_delete = record.parsed && listed(deletions, *record.parsed);
    // A disabled copy of a record we add gives way to the served one.
    const bool disabled_duplicate = record.disabled && record.parsed &&
                                    listed(additions, *record.parsed) &&
                                    !listed(deletions, *record.parsed);
    if (ours_to_delete || disabled_duplicate) {
      change.removed.push_back(&record);
      continue;
    }
    change.contents.push_back(KeptRecord{record.content, record.disabled});
    if (record.parsed && !record.disabled) served.push_back(*record.parsed);
  }
  for (const TlsaRecord& addition : additions) {
    if (listed(deletions, addition) || listed(served, addition)) continue;
    served.push_back(addition);
    change.added.push_back(addition);
    change.contents.push_back(KeptRecord{formatTlsaRdata(addition), false});
  }
  return change;
}

std::string canonicalDnsName(std::string_view name) {
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  if (out.empty() || out.back() != '.') out += '.';
  return out;
}

std::optional<std::string> relativeName(std::string_view owner, std::string_view zone) {
  const std::string canonical_owner = canonicalDnsName(owner);
  const std::string canonical_zone = canonicalDnsName(zone);
  if (canonical_owner == canonical_zone) return std::string();
  if (canonical_zone == ".") return canonical_owner.substr(0, canonical_owner.size() - 1);
  if (canonical_owner.size() <= canonical_zone.size() + 1) return std::nullopt;
  const std::size_t split = canonical_owner.size() - canonical_zone.size();
  if (canonical_owner.compare(split, std::string::npos, canonical_zone) != 0 ||
      canonical_owner[split - 1] != '.')
    return std::nullopt;
  return canonical_owner.substr(0, split - 1);
}

std::string percentEncode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved)
      out += c;
    else
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
  }
  return out;
}

std::vector<std::string> ownersOf(const ports::UpdateRequest& request) {
  std::vector<std::string> owners;
  const auto note = [&](const std::string& owner) {
    std::string canonical = canonicalDnsName(owner);
    if (std::find(owners.begin(), owners.end(), canonical) == owners.end())
      owners.push_back(std::move(canonical));
  };
  for (const auto& prerequisite : request.prerequisites)
    note(prerequisite.owner);
  for (const auto& addition : request.additions)
    note(addition.owner);
  for (const auto& deletion : request.deletions)
    note(deletion.owner);
  return owners;
}

namespace {
std::vector<TlsaRecord> recordsAt(const std::vector<ports::TlsaRecordAt>& list,
                                  std::string_view owner) {
  std::vector<TlsaRecord> out;
  for (const auto& entry : list)
    if (canonicalDnsName(entry.owner) == owner &&
        std::find(out.begin(), out.end(), entry.record) == out.end())
      out.push_back(entry.record);
  return out;
}

std::string describe(const std::vector<TlsaRecord>& records) {
  if (records.empty()) return "no records";
  std::string out;
  for (const TlsaRecord& record : records) {
    const std::string text = formatTlsaRdata(record);
    out += fmt::format("{}{}", out.empty() ? "" : ", ",
                       text.size() > 24 ? text.substr(0, 24) + "..." : text);
  }
  return out;
}
}  // namespace

std::vector<TlsaRecord> additionsAt(const ports::UpdateRequest& request, std::string_view owner) {
  return recordsAt(request.additions, owner);
}
std::vector<TlsaRecord> deletionsAt(const ports::UpdateRequest& request, std::string_view owner) {
  return recordsAt(request.deletions, owner);
}

Result<void> checkPrerequisites(const ports::UpdateRequest& request, const ProviderRrset& rrset) {
  using Kind = ports::UpdatePrerequisite::Kind;
  std::vector<TlsaRecord> served;
  bool unreadable = false;
  for (const ProviderRecord& record : rrset.records) {
    if (record.disabled) continue;
    if (record.parsed)
      served.push_back(*record.parsed);
    else
      unreadable = true;
  }
  const bool exists = rrset.exists && (!served.empty() || unreadable);
  for (const ports::UpdatePrerequisite& prerequisite : request.prerequisites) {
    if (canonicalDnsName(prerequisite.owner) != rrset.owner) continue;
    switch (prerequisite.kind) {
      case Kind::TlsaRrsetExists:
        if (!exists)
          return fail(ErrorKind::PreconditionFailed,
                      "the TLSA RRset at " + rrset.owner + " no longer exists");
        break;
      case Kind::TlsaRrsetAbsent:
        if (exists)
          return fail(ErrorKind::PreconditionFailed,
                      "a TLSA RRset appeared at " + rrset.owner + " (" + describe(served) + ")");
        break;
      case Kind::TlsaRrsetEquals: {
        std::vector<TlsaRecord> expected = prerequisite.records;
        std::sort(expected.begin(), expected.end());
        expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
        std::vector<TlsaRecord> actual = served;
        std::sort(actual.begin(), actual.end());
        actual.erase(std::unique(actual.begin(), actual.end()), actual.end());
        if (unreadable || actual != expected)
          return fail(ErrorKind::PreconditionFailed,
                      "the TLSA RRset at " + rrset.owner + " changed: expected " +
                          describe(expected) + ", the provider holds " + describe(actual) +
                          (unreadable ? " and unreadable records" : ""));
        break;
      }
      case Kind::NameInUse:
      case Kind::NameNotInUse:
        return fail(ErrorKind::Internal,
                    "name-level prerequisites cannot be checked through an HTTP API publisher");
    }
  }
  return {};
}

}  // namespace daneguard::adapters::publishers
