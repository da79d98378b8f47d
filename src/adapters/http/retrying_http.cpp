// Retries with back-off (see the header).
#include "adapters/http/retrying_http.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace daneguard::adapters::http {

std::optional<std::chrono::seconds> parseRetryAfter(const std::optional<std::string>& value,
                                                    std::chrono::sys_seconds now) {
  if (!value || value->empty()) return std::nullopt;
  if (std::all_of(value->begin(), value->end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    if (value->size() > 9) return std::chrono::seconds(999999999);
    return std::chrono::seconds(std::stoll(*value));
  }
  const time_t date = curl_getdate(value->c_str(), nullptr);
  if (date < 0) return std::nullopt;
  const auto wait = std::chrono::sys_seconds(std::chrono::seconds(date)) - now;
  return std::max(wait, std::chrono::seconds(0));
}

Result<ports::HttpResponse> sendWithRetries(ports::HttpClient& client,
                                            const ports::HttpRequest& request, ports::Clock& clock,
                                            const RetryPolicy& policy, const RetryNotice& notice) {
  using std::chrono::seconds;
  const auto deadline = clock.now() + policy.total_budget;
  seconds backoff = policy.first_backoff;
  for (int attempt = 1;; ++attempt) {
    auto sent = client.send(request);
    const bool transport_failure = !sent && sent.error().kind == ErrorKind::Transient;
    const bool throttled = sent && sent->status == 429;
    const bool server_error = sent && sent->status >= 500 && sent->status <= 599;
    if (!(transport_failure || throttled || server_error)) return sent;

    seconds wait = backoff;
    std::string why;
    if (throttled) {
      const auto retry_after = parseRetryAfter(sent->header("Retry-After"), clock.now());
      if (retry_after) wait = *retry_after;
      if (wait > policy.max_retry_after) {
        if (notice)
          notice(fmt::format(
              "429 from {} {}: Retry-After {} s is longer than the {} s daneguard "
              "waits; giving up for now",
              request.method, request.url, wait.count(), policy.max_retry_after.count()));
        return sent;
      }
      why = "429 (rate limited)";
    } else if (server_error) {
      why = fmt::format("HTTP {}", sent->status);
      backoff = std::min(backoff * 2, policy.max_backoff);
    } else {
      why = sent.error().message;
      backoff = std::min(backoff * 2, policy.max_backoff);
    }
    if (attempt >= policy.max_attempts || clock.now() + wait > deadline) return sent;
    if (notice)
      notice(fmt::format("{} from {} {}; retrying in {} s (attempt {} of {})", why, request.method,
                         request.url, wait.count(), attempt + 1, policy.max_attempts));
    clock.sleepFor(wait);
  }
}

}  // namespace daneguard::adapters::http
