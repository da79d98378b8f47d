// What the HTTP API publishers (PowerDNS, Cloudflare, deSEC) share: their injectable
// dependencies, the record-level merge that turns "add these, delete those" into the new
// content of an RRset without touching anyone else's records, prerequisite checks against what
// the provider holds, and error messages that name the provider kind, the publisher, the zone
// and the provider's own explanation (never a token).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/http/retrying_http.hpp"
#include "core/config/config.hpp"
#include "core/secret.hpp"
#include "core/tlsa/tlsa_record.hpp"
#include "ports/clock.hpp"
#include "ports/dns_update.hpp"
#include "ports/http_client.hpp"

namespace daneguard::adapters::publishers {

using WarningSink = std::function<void(const std::string&)>;

/// Null members get production defaults: libcurl (with the publisher's ca_file), the system
/// clock, warnings on stderr (the publisher directory passes DirectoryOptions::warn, which the
/// cli points at the run's events).
struct ApiPublisherDependencies {
  ports::HttpClient* http = nullptr;
  ports::Clock* clock = nullptr;
  http::RetryPolicy retry;
  WarningSink warn;
};

/// Dependencies with defaults filled in; owns the defaults it created.
class ApiContext {
 public:
  ApiContext(std::string kind, std::string publisher_name, const config::ApiPublisherCommon& common,
             ApiPublisherDependencies dependencies);
  ~ApiContext();
  ApiContext(const ApiContext&) = delete;
  ApiContext& operator=(const ApiContext&) = delete;

  /// sendWithRetries with this context's client, clock and policy; retries are reported as
  /// warnings.
  Result<ports::HttpResponse> send(const ports::HttpRequest& request);
  void warn(const std::string& message) const;

  /// "pdns publisher 'name', zone example.test."
  [[nodiscard]] std::string where(std::string_view zone) const;
  /// An error for a response that is not what was expected: kind from the status (401/403
  /// AuthFailure, 404 NotFound, 409/412 PreconditionFailed, 429/5xx Transient, else Rejected),
  /// message with the request, the status and `provider_message` (extracted from the body).
  [[nodiscard]] Error httpError(std::string_view zone, const ports::HttpRequest& request,
                                const ports::HttpResponse& response,
                                const std::string& provider_message) const;
  /// A transport error with the publisher and zone in front.
  [[nodiscard]] Error transportError(std::string_view zone, const Error& error) const;
  [[nodiscard]] const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
  std::string publisher_name_;
  std::unique_ptr<ports::HttpClient> owned_http_;
  std::unique_ptr<ports::Clock> owned_clock_;
  ports::HttpClient* http_;
  ports::Clock* clock_;
  http::RetryPolicy retry_;
  WarningSink warn_;
};

/// Loads the configured token or key (file or environment variable).
Result<SecretBytes> loadApiCredentials(const config::ApiCredentials& credentials);

/// One record as the provider holds it.
struct ProviderRecord {
  std::string content;               // presentation format as stored ("3 1 1 abcd...")
  std::optional<TlsaRecord> parsed;  // nullopt: unreadable, kept verbatim
  bool disabled = false;             // PowerDNS: stored but not served
  std::string id;                    // Cloudflare: the record's id
};

/// A provider's TLSA RRset at one owner; `exists` is false when the provider has none.
struct ProviderRrset {
  std::string owner;
  bool exists = false;
  std::uint32_t ttl = 0;
  std::vector<ProviderRecord> records;
};

/// The result of merging: the new content list and what changes to reach it.
struct KeptRecord {
  std::string content;
  bool disabled = false;
};
struct RrsetChange {
  std::vector<KeptRecord> contents;  // every record of the new RRset, foreign ones included
  std::vector<TlsaRecord> added;     // records that were not served before
  std::vector<const ProviderRecord*> removed;  // points into the ProviderRrset given
  [[nodiscard]] bool changed() const { return !added.empty() || !removed.empty(); }
};

/// Our additions and deletions at `rrset.owner` applied to what the provider holds. Records we
/// do not add or delete stay as they are, including unreadable and disabled ones (a disabled
/// copy of a record we add is replaced by the served one). Adding a served record and deleting
/// an absent one are no-ops, which makes apply() idempotent.
RrsetChange mergeRrset(const ProviderRrset& rrset, const std::vector<TlsaRecord>& additions,
                       const std::vector<TlsaRecord>& deletions);

/// Every owner a request touches or guards, in first-mention order, canonical (lower case,
/// trailing dot).
std::vector<std::string> ownersOf(const ports::UpdateRequest& request);
std::vector<TlsaRecord> additionsAt(const ports::UpdateRequest& request, std::string_view owner);
std::vector<TlsaRecord> deletionsAt(const ports::UpdateRequest& request, std::string_view owner);

/// Checks the request's prerequisites at `rrset.owner` against the served (enabled) records.
/// PreconditionFailed names the owner and what differs. NameInUse/NameNotInUse cannot be judged
/// from a TLSA read and are refused (Internal: daneguard does not send them).
Result<void> checkPrerequisites(const ports::UpdateRequest& request, const ProviderRrset& rrset);

/// "example.test." for "Example.Test" and "example.test.".
std::string canonicalDnsName(std::string_view name);
/// The owner relative to the zone ("_25._tcp.mail"), "" for the apex; nullopt when outside.
std::optional<std::string> relativeName(std::string_view owner, std::string_view zone);
/// RFC 3986 percent-encoding of everything but unreserved characters.
std::string percentEncode(std::string_view text);

}  // namespace daneguard::adapters::publishers
