#include "adapters/openssl/openssl_error.hpp"

#include <openssl/err.h>

#include <array>

namespace daneguard::adapters::openssl {

std::string drainOpensslErrors() {
  std::string reasons;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    // "error:1E08010C:DECODER routines::unsupported" -> keep the readable tail.
    std::string_view text(buffer.data());
    if (const auto colons = text.rfind("::"); colons != std::string_view::npos) {
      const auto lib_start = text.find(':', text.find(':') + 1);
      std::string_view library = lib_start != std::string_view::npos
                                     ? text.substr(lib_start + 1, colons - lib_start - 1)
                                     : std::string_view{};
      text = text.substr(colons + 2);
      if (!library.empty()) {
        if (!reasons.empty()) reasons += "; ";
        reasons += std::string(text) + " (" + std::string(library) + ")";
        continue;
      }
    }
    if (!reasons.empty()) reasons += "; ";
    reasons += text;
  }
  return reasons;
}

Error opensslError(ErrorKind kind, std::string_view what) {
  const std::string reasons = drainOpensslErrors();
  return Error{kind, reasons.empty() ? std::string(what) : std::string(what) + ": " + reasons};
}

}  // namespace daneguard::adapters::openssl
