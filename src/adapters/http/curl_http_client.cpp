// libcurl transfers (see the header).
#include "adapters/http/curl_http_client.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

namespace daneguard::adapters::http {
namespace {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// Provider answers are JSON of a few KiB; a zone listing of a big PowerDNS zone may be some MiB.
constexpr std::size_t kMaxResponseBytes = std::size_t{64} * 1024 * 1024;

struct Transfer {
  ports::HttpResponse response;
  bool too_large = false;
};

std::size_t onBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (transfer->response.body.size() + bytes > kMaxResponseBytes) {
    transfer->too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  transfer->response.body.append(data, bytes);
  return bytes;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

std::size_t onHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  const std::string_view line(data, bytes);
  // A new status line (after 1xx or a redirect we do not follow) starts a new header block.
  if (line.rfind("HTTP/", 0) == 0) {
    transfer->response.headers.clear();
    return bytes;
  }
  const auto colon = line.find(':');
  if (colon != std::string_view::npos)
    transfer->response.headers.push_back(
        ports::HttpHeader{trim(line.substr(0, colon)), trim(line.substr(colon + 1))});
  return bytes;
}

ErrorKind kindOf(CURLcode code) {
  switch (code) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return ErrorKind::Config;
    case CURLE_PEER_FAILED_VERIFICATION:
      return ErrorKind::VerificationFailed;
    default:
      return ErrorKind::Transient;
  }
}

void initialiseCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

CurlHttpClient::CurlHttpClient(CurlHttpOptions options) : options_(std::move(options)) {
  initialiseCurlOnce();
}

Result<ports::HttpResponse> CurlHttpClient::send(const ports::HttpRequest& request) {
  const std::string what = fmt::format("{} {}", request.method, request.url);
  CurlEasy curl(curl_easy_init());
  if (!curl) return fail(ErrorKind::Internal, what + ": curl_easy_init failed");
  CURL* handle = curl.get();

  CurlSlist headers;
  const auto append = [&](const char* line) {
    curl_slist* extended = curl_slist_append(headers.get(), line);
    if (extended == nullptr) return false;
    (void)headers.release();  // the list's head stays the same object; keep owning it
    headers.reset(extended);
    return true;
  };
  bool headers_ok = true;
  for (const ports::HttpHeader& header : request.headers)
    headers_ok = headers_ok && append(fmt::format("{}: {}", header.name, header.value).c_str());
  headers_ok = headers_ok && append("Expect:");  // no 100-continue round trip for small bodies
  if (request.credential && request.credential->secret != nullptr) {
    // Built in wiped memory; curl keeps its own (unwiped) copy in the list until cleanup.
    const ports::HttpCredentialHeader& credential = *request.credential;
    const std::string_view secret = credential.secret->revealText();
    SecretBytes line(credential.name.size() + 2 + credential.prefix.size() + secret.size() + 1);
    auto bytes = line.revealMutable();
    char* out = reinterpret_cast<char*>(bytes.data());
    out = std::copy(credential.name.begin(), credential.name.end(), out);
    *out++ = ':';
    *out++ = ' ';
    out = std::copy(credential.prefix.begin(), credential.prefix.end(), out);
    out = std::copy(secret.begin(), secret.end(), out);
    *out = '\0';
    headers_ok = headers_ok && append(reinterpret_cast<const char*>(bytes.data()));
  }
  if (!headers_ok) return fail(ErrorKind::Internal, what + ": out of memory building headers");

  Transfer transfer;
  char error_buffer[CURL_ERROR_SIZE] = {};
  const long timeout_ms = static_cast<long>(std::max<std::int64_t>(1, request.timeout.count()));
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);  // never carry a token elsewhere
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 10000L));
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 2L);
  if (options_.ca_file) curl_easy_setopt(handle, CURLOPT_CAINFO, options_.ca_file->c_str());
  curl_easy_setopt(handle, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &transfer);
  if (request.method == "GET") {
    curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty() || request.method != "DELETE") {
      curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.c_str());
    }
  }

  const CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) {
    if (transfer.too_large)
      return fail(ErrorKind::ProtocolViolation,
                  fmt::format("{}: the response is larger than {} MiB", what,
                              kMaxResponseBytes / (1024 * 1024)));
    const std::string reason =
        error_buffer[0] != '\0' ? trim(error_buffer) : std::string(curl_easy_strerror(code));
    std::string hint;
    if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE)
      hint = options_.ca_file ? " (CA file " + *options_.ca_file + ")"
                              : " (system CA store; set ca_file for a private CA)";
    return fail(kindOf(code), fmt::format("{}: {}{}", what, reason, hint));
  }
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  return std::move(transfer.response);
}

}  // namespace daneguard::adapters::http
