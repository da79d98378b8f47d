// The `type = "rfc2136"` publisher: LdnsDnsUpdate (TSIG-signed UPDATE messages) with errors that
// name the publisher, and an access check that changes nothing.
//
// The access check sends, per owner, an UPDATE that adds a TLSA record there under a
// prerequisite that cannot hold ("name in use" for a random label below the zone). The server
// authenticates the TSIG and applies its update policy first, so: a prerequisite failure
// (NXDOMAIN) means key and policy were accepted; BADKEY/BADSIG/BADTIME, REFUSED and NOTAUTH
// mean they were not. BIND 9.18 checks update-policy before prerequisites (verified in the
// integration tests); a server that checks prerequisites first would report success for a key
// whose policy is too narrow, which the docs say.
#pragma once

#include <memory>
#include <string>

#include "adapters/dns/ldns_dns_update.hpp"
#include "core/config/config.hpp"
#include "core/secret.hpp"
#include "ports/publisher_directory.hpp"

namespace daneguard::adapters::publishers {

/// The key a publisher's configuration names (key file, secret file or environment variable);
/// `override_secret` replaces the environment variable (DaneBot's --rfc2136-tsig-secret).
Result<dns::TsigKey> loadTsigKey(const config::TsigCredentials& credentials,
                                 const SecretBytes* override_secret);

class Rfc2136Publisher final : public ports::DnsUpdate, public ports::PublisherAccessCheck {
 public:
  Rfc2136Publisher(std::string name, dns::TsigKey key, dns::UpdateOptions options);

  Result<ports::UpdateOutcome> apply(const ports::UpdateRequest& request) override;
  Result<std::string> checkAccess(const ports::DnsServer& server, const std::string& zone,
                                  const std::vector<std::string>& owners) override;

 private:
  std::string who_;  // "publisher 'NAME' (rfc2136, key K)"
  dns::LdnsDnsUpdate update_;
};

}  // namespace daneguard::adapters::publishers
