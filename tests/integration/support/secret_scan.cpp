#include "integration/support/secret_scan.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace daneguard::testing {
namespace {

std::vector<std::string> leakForms(const std::string& secret_base64) {
  std::vector<std::string> forms{secret_base64};
  std::string raw(secret_base64.size(), '\0');
  const int decoded = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                                      reinterpret_cast<const unsigned char*>(secret_base64.data()),
                                      static_cast<int>(secret_base64.size()));
  if (decoded > 0) {
    // EVP_DecodeBlock counts the bytes that padding stands for; drop them.
    const auto padding =
        static_cast<std::size_t>(std::count(secret_base64.begin(), secret_base64.end(), '='));
    raw.resize(static_cast<std::size_t>(decoded) - std::min<std::size_t>(padding, 2));
    forms.push_back(raw);
    static const char* digits = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : raw) {
      hex.push_back(digits[c >> 4]);
      hex.push_back(digits[c & 15]);
    }
    forms.push_back(hex);
    std::string upper = hex;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    forms.push_back(upper);
  }
  // Also a prefix long enough to be a leak of a truncated secret (first 12 characters).
  if (secret_base64.size() > 12) forms.push_back(secret_base64.substr(0, 12));
  return forms;
}

}  // namespace

void MessageLog::note(const std::string& message) {
  if (const char* show = std::getenv("DANEGUARD_SHOW_MESSAGES"); show != nullptr && *show == '1')
    std::fprintf(stderr, "[message] %s\n", message.c_str());
  messages_.push_back(message);
}

std::string MessageLog::findLeak(const std::string& secret_base64) const {
  const auto forms = leakForms(secret_base64);
  for (const auto& message : messages_)
    for (const auto& form : forms)
      if (form.size() >= 8 && message.find(form) != std::string::npos) return message;
  return {};
}

}  // namespace daneguard::testing
