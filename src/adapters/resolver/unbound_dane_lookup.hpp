// DaneLookup over libunbound: the answers are validated here, in this process, from a trust
// anchor down (RFC 4033-4035), so no resolver on the path has to be trusted.
//
// Two ways to reach the DNS:
// * recursion from the root (no forwarder): libunbound's built-in root hints, validated with
//   the system's root trust anchor (/usr/share/dns/root.key, Debian's dns-root-data) or a
//   private anchor file;
// * forwarding every query to a resolver (ub_ctx_set_fwd): that resolver only fetches; the
//   RRSIGs it passes on are still checked here against the anchor.
// Stub zones (ub_ctx_set_stub) point one zone at given authoritative servers, for private zones
// and for tests that run a BIND on a loopback port.
//
// libunbound hands back data even when validation failed (testbed-notes: bogus with
// havedata=1), so the status is always taken from `secure`/`bogus`, never from the data.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/resolver/unbound_handles.hpp"
#include "core/error.hpp"
#include "ports/dane_lookup.hpp"
#include "ports/dns_query.hpp"

namespace daneguard::adapters::resolver {

/// Debian's dns-root-data trust anchor (DNSKEY lines for the root KSK).
inline const std::filesystem::path kSystemRootTrustAnchor = "/usr/share/dns/root.key";

struct StubZone {
  std::string zone;                       // "example.test."
  std::vector<ports::DnsServer> servers;  // its authoritative servers
};

struct UnboundLookupOptions {
  /// Zone-file lines of DS or DNSKEY records (several files may be given, e.g. the root and a
  /// private zone). Empty: the system root anchor.
  std::vector<std::filesystem::path> trust_anchor_files;
  /// Mode (b): send every query to this resolver and validate what it returns.
  std::optional<ports::DnsServer> forwarder;
  std::vector<StubZone> stub_zones;
  /// Raw unbound.conf settings applied last, for what the fields above do not cover, e.g.
  /// {"val-override-date:", "..."}; name with the trailing colon as ub_ctx_set_option wants.
  std::vector<std::pair<std::string, std::string>> unbound_options;
  /// Longest wait for one lookup (libunbound's own retries can take much longer).
  std::chrono::milliseconds timeout{10000};
};

class UnboundDaneLookup final : public ports::DaneLookup {
 public:
  /// Config when an anchor file cannot be read or an option is refused; NotFound for a missing
  /// anchor file (the message names the file and, for the default, the Debian package).
  static Result<std::unique_ptr<UnboundDaneLookup>> create(UnboundLookupOptions options);

  Result<ports::ValidatedTlsa> tlsa(const std::string& owner) override;
  Result<ports::ValidatedAddresses> addresses(const std::string& host) override;
  Result<ports::ValidatedMx> mx(const std::string& domain) override;

  /// "libunbound (recursion from the root, trust anchor /usr/share/dns/root.key)": how every
  /// error names the resolver.
  [[nodiscard]] const std::string& description() const { return description_; }

 private:
  struct Answer;
  UnboundDaneLookup(UbCtxPtr context, std::string description, std::chrono::milliseconds timeout)
      : context_(std::move(context)), description_(std::move(description)), timeout_(timeout) {}
  Result<Answer> resolve(const std::string& name, int type);

  UbCtxPtr context_;
  std::string description_;
  std::chrono::milliseconds timeout_;
};

}  // namespace daneguard::adapters::resolver
