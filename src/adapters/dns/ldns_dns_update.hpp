// DnsUpdate: RFC 2136 UPDATE messages built with ldns, signed with TSIG (ldns_pkt_tsig_sign),
// sent with our own transport, and the reply's TSIG verified (ldns_pkt_tsig_verify).
//
// ldns' own resolver API hides why a signed exchange failed (it returns "Bogus TSIG signature"
// and no packet for BADKEY, BADSIG and BADTIME alike), so replies are parsed here and the TSIG
// RR's error field is read directly. A reply whose TSIG does not verify is never taken as
// success: the outcome is Ambiguous (the update may or may not have been applied).
#pragma once

#include "adapters/dns/dns_transport.hpp"
#include "adapters/dns/tsig_key.hpp"
#include "ports/dns_update.hpp"

namespace daneguard::adapters::dns {

struct UpdateOptions {
  /// Updates are retried with the same signed bytes; a retry of an applied update is harmless
  /// (adds and record deletes are idempotent; prerequisites then report the new state).
  TransportOptions transport{std::chrono::milliseconds(5000), 3, 1};
  bool tcp_only = false;
  /// TSIG fudge (RFC 8945 §5.2.3): accepted clock difference between us and the server.
  std::uint16_t fudge_seconds = 300;
};

class LdnsDnsUpdate final : public ports::DnsUpdate {
 public:
  explicit LdnsDnsUpdate(TsigKey key, UpdateOptions options = {})
      : key_(std::move(key)), options_(options) {}

  Result<ports::UpdateOutcome> apply(const ports::UpdateRequest& request) override;

 private:
  TsigKey key_;
  UpdateOptions options_;
};

}  // namespace daneguard::adapters::dns
