// Port: one HTTPS request and its response, for the DNS provider APIs (PowerDNS, Cloudflare,
// deSEC). Deliberately small: providers build JSON bodies themselves and interpret statuses.
//
// Credentials travel separately from ordinary headers (`credential`), so that an adapter can keep
// them out of every error message and log line, and so that a request can be printed whole.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/secret.hpp"

namespace daneguard::ports {

struct HttpHeader {
  std::string name;
  std::string value;
};

/// "NAME: PREFIX<secret>", e.g. "Authorization: Bearer <token>" or "X-API-Key: <key>".
struct HttpCredentialHeader {
  std::string name;
  std::string prefix;
  const SecretBytes* secret = nullptr;  // not owned; must outlive the request
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<HttpHeader> headers;
  std::optional<HttpCredentialHeader> credential;
  std::string body;
  std::chrono::milliseconds timeout{30000};  // the whole exchange, connection included
};

struct HttpResponse {
  long status = 0;
  std::vector<HttpHeader> headers;  // names as received; look up with header()
  std::string body;

  /// The last value of header `name` (case-insensitive), if present.
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const {
    std::optional<std::string> found;
    for (const HttpHeader& candidate : headers) {
      if (candidate.name.size() != name.size()) continue;
      bool same = true;
      for (std::size_t i = 0; i < name.size() && same; ++i)
        same = asciiLower(candidate.name[i]) == asciiLower(name[i]);
      if (same) found = candidate.value;
    }
    return found;
  }

 private:
  static char asciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  /// Any HTTP status is a response; errors are only for exchanges that did not complete
  /// (Transient: connection, timeout; Ambiguous is not used here because providers decide
  /// whether a lost reply to a write matters; Config: bad URL or CA file).
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

}  // namespace daneguard::ports
