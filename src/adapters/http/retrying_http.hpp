// The one retry policy of the provider APIs: 429 waits for Retry-After, 5xx and failed
// exchanges back off exponentially (capped), all within a total time budget. Sleeping goes
// through ports::Clock so unit tests cover minutes of back-off instantly.
//
// Every provider call is made safe to repeat by its caller (PowerDNS REPLACE, deSEC RRset
// writes and deletes are idempotent; Cloudflare creation treats "identical record exists" as
// done), so a write is retried after a 5xx or a lost reply as well.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "ports/clock.hpp"
#include "ports/http_client.hpp"

namespace daneguard::adapters::http {

struct RetryPolicy {
  int max_attempts = 6;
  std::chrono::seconds first_backoff{1};  // then 2, 4, ... up to max_backoff
  std::chrono::seconds max_backoff{30};
  std::chrono::seconds total_budget{300};  // no sleep may end after this, from the first send
  /// A Retry-After further away than this fails at once: better to say so than to hang a run.
  std::chrono::seconds max_retry_after{300};
};

/// Called before each sleep with a line such as "429 from GET URL; retrying in 2 s".
using RetryNotice = std::function<void(const std::string&)>;

/// Seconds to wait from a Retry-After value (delay-seconds or an HTTP-date, RFC 9110 §10.2.3)
/// relative to `now`; nullopt when it is absent or unreadable.
std::optional<std::chrono::seconds> parseRetryAfter(const std::optional<std::string>& value,
                                                    std::chrono::sys_seconds now);

/// The final response (a 429 or 5xx is returned as such once retries are used up, so the
/// caller can report the provider's error body), or the last transport error.
Result<ports::HttpResponse> sendWithRetries(ports::HttpClient& client,
                                            const ports::HttpRequest& request, ports::Clock& clock,
                                            const RetryPolicy& policy,
                                            const RetryNotice& notice = {});

}  // namespace daneguard::adapters::http
