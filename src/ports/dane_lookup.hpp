// Port: DNS answers a DANE client would act on, obtained through a validating path (libunbound
// with a trust anchor, or a validating resolver whose AD bit is required). The security status
// is part of every answer: an Insecure TLSA RRset means "no DANE" (RFC 6698 §4.1, RFC 7672
// §2.2), a Bogus one means the client must not connect at all.
//
// Contrast with ports/dns_query.hpp, which asks each authoritative server directly (no
// validation) to see propagation; this port answers "what does the world see".
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/tlsa/tlsa_record.hpp"

namespace daneguard::ports {

enum class DnssecStatus {
  Secure,    // validated up to the trust anchor
  Insecure,  // provably unsigned (or below an insecure delegation)
  Bogus,     // signed but validation failed
};

/// "secure", "insecure", "bogus".
inline std::string_view dnssecStatusName(DnssecStatus status) {
  switch (status) {
    case DnssecStatus::Secure:
      return "secure";
    case DnssecStatus::Insecure:
      return "insecure";
    case DnssecStatus::Bogus:
      return "bogus";
  }
  return "unknown";
}

struct ValidatedTlsa {
  std::string owner;  // "_25._tcp.mail.example.test."
  DnssecStatus status = DnssecStatus::Insecure;
  bool exists = false;              // false: NXDOMAIN/NODATA (with `status` of the denial)
  std::vector<TlsaRecord> records;  // when exists
  std::chrono::seconds ttl{0};
  std::string why_bogus;  // the validator's reason, when Bogus
};

struct ValidatedAddresses {
  std::string host;
  DnssecStatus status = DnssecStatus::Insecure;  // the weakest of the A and AAAA answers
  std::vector<std::string> addresses;            // IP literals, v4 first then v6
  std::string why_bogus;                         // the validator's reason, when Bogus
};

struct MxHost {
  std::uint16_t preference = 0;
  std::string host;  // lower case, no trailing dot
};

struct ValidatedMx {
  std::string domain;
  DnssecStatus status = DnssecStatus::Insecure;
  std::vector<MxHost> hosts;  // sorted by preference; empty with exists=false means "use domain"
  bool exists = false;
  std::string why_bogus;  // the validator's reason, when Bogus
};

class DaneLookup {
 public:
  virtual ~DaneLookup() = default;
  /// Errors: the resolver could not be reached or answered SERVFAIL for a non-DNSSEC reason.
  virtual Result<ValidatedTlsa> tlsa(const std::string& owner) = 0;
  virtual Result<ValidatedAddresses> addresses(const std::string& host) = 0;
  virtual Result<ValidatedMx> mx(const std::string& domain) = 0;
};

}  // namespace daneguard::ports
