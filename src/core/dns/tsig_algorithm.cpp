#include "core/dns/tsig_algorithm.hpp"

#include <algorithm>
#include <string>

namespace daneguard {

std::string_view tsigAlgorithmName(TsigAlgorithm algorithm) {
  switch (algorithm) {
    case TsigAlgorithm::HmacSha1:
      return "hmac-sha1";
    case TsigAlgorithm::HmacSha256:
      return "hmac-sha256";
    case TsigAlgorithm::HmacSha512:
      return "hmac-sha512";
  }
  return "hmac-sha256";
}

Result<TsigAlgorithm> parseTsigAlgorithm(std::string_view text) {
  std::string name(text.substr(0, 64));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : static_cast<char>(c);
  });
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (name == "hmac-sha256") return TsigAlgorithm::HmacSha256;
  if (name == "hmac-sha1") return TsigAlgorithm::HmacSha1;
  if (name == "hmac-sha512") return TsigAlgorithm::HmacSha512;
  if (name == "hmac-md5" || name == "hmac-md5.sig-alg.reg.int") {
    return fail(ErrorKind::Config,
                "TSIG algorithm hmac-md5 is refused: MD5 must not be used (RFC 8945 section 6); "
                "create a hmac-sha256 key (tsig-keygen -a hmac-sha256 NAME)");
  }
  if (name == "hmac-sha224" || name == "hmac-sha384") {
    return fail(ErrorKind::Config, "TSIG algorithm " + name +
                                       " is not supported by the ldns library daneguard uses; "
                                       "use hmac-sha256 (recommended) or hmac-sha512");
  }
  const bool printable =
      std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 0x7f; });
  return fail(ErrorKind::Config, "unknown TSIG algorithm" +
                                     (printable ? " '" + name + "'" : std::string()) +
                                     " (use hmac-sha256, hmac-sha512 or hmac-sha1)");
}

}  // namespace daneguard
