// ports::HttpClient over libcurl: HTTPS with certificate and host name verification always on,
// an optional private CA file (tests, internal PowerDNS), a per-request timeout, and response
// headers captured (Retry-After). Error messages name the method and URL and libcurl's reason,
// never a header value: the credential header is built from SecretBytes only for the transfer.
#pragma once

#include <optional>
#include <string>

#include "ports/http_client.hpp"

namespace daneguard::adapters::http {

struct CurlHttpOptions {
  /// PEM bundle of CAs to trust instead of the system store (CURLOPT_CAINFO).
  std::optional<std::string> ca_file;
  /// Sent as User-Agent; providers ask API clients to identify themselves.
  std::string user_agent = "daneguard";
};

class CurlHttpClient final : public ports::HttpClient {
 public:
  explicit CurlHttpClient(CurlHttpOptions options = {});
  Result<ports::HttpResponse> send(const ports::HttpRequest& request) override;

 private:
  CurlHttpOptions options_;
};

}  // namespace daneguard::adapters::http
