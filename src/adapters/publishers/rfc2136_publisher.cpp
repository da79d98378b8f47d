// RFC 2136 publisher (see the header).
#include "adapters/publishers/rfc2136_publisher.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <type_traits>
#include <variant>

#include "core/hex.hpp"

namespace daneguard::adapters::publishers {
namespace {

/// A label nobody uses, so that "name in use" cannot hold: 64 random bits.
Result<std::string> randomProbeLabel() {
  Bytes random(8);
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1)
    return fail(ErrorKind::Internal, "the random number generator failed");
  return "_daneguard-access-check-" + toHex(random);
}

/// A record nobody would publish (all-zero SHA-256), in case a server accepted the update anyway.
TlsaRecord probeRecord() {
  TlsaRecord record;
  record.parameters =
      TlsaParameters{TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha256};
  record.data.assign(32, 0);
  return record;
}

}  // namespace

Result<dns::TsigKey> loadTsigKey(const config::TsigCredentials& credentials,
                                 const SecretBytes* override_secret) {
  return std::visit(
      [&](const auto& kind) -> Result<dns::TsigKey> {
        using Kind = std::decay_t<decltype(kind)>;
        if constexpr (std::is_same_v<Kind, config::TsigKeyFile>) {
          return dns::TsigKey::fromBindKeyFile(kind.path);
        } else if constexpr (std::is_same_v<Kind, config::TsigSecretFile>) {
          return dns::TsigKey::fromSecretFile(kind.path, kind.key_name,
                                              config::tsigAlgorithmName(kind.algorithm));
        } else {
          if (override_secret != nullptr)
            return dns::TsigKey::create(kind.key_name, config::tsigAlgorithmName(kind.algorithm),
                                        override_secret->revealText(), "--rfc2136-tsig-secret");
          const char* secret = std::getenv(kind.variable.c_str());
          if (secret == nullptr || *secret == '\0')
            return fail(ErrorKind::Config, "the environment variable " + kind.variable +
                                               " holding the secret of TSIG key '" + kind.key_name +
                                               "' is not set");
          return dns::TsigKey::create(kind.key_name, config::tsigAlgorithmName(kind.algorithm),
                                      secret, "environment variable " + kind.variable);
        }
      },
      credentials);
}

Rfc2136Publisher::Rfc2136Publisher(std::string name, dns::TsigKey key, dns::UpdateOptions options)
    : who_(fmt::format("publisher '{}' (rfc2136, TSIG key '{}')", name, key.name())),
      update_(std::move(key), options) {}

Result<ports::UpdateOutcome> Rfc2136Publisher::apply(const ports::UpdateRequest& request) {
  auto outcome = update_.apply(request);
  if (!outcome) return fail(outcome.error().withContext(who_));
  return outcome;
}

Result<std::string> Rfc2136Publisher::checkAccess(const ports::DnsServer& server,
                                                  const std::string& zone,
                                                  const std::vector<std::string>& owners) {
  auto label = randomProbeLabel();
  if (!label) return fail(label.error());
  for (const std::string& owner : owners) {
    ports::UpdateRequest request;
    request.server = server;
    request.zone = zone;
    request.prerequisites.push_back(ports::UpdatePrerequisite{
        ports::UpdatePrerequisite::Kind::NameInUse, *label + "." + zone, {}});
    request.additions.push_back(ports::TlsaRecordAt{owner, probeRecord()});
    request.ttl_seconds = 60;
    auto applied = update_.apply(request);
    if (applied) {
      // The impossible prerequisite held: take the probe record away again at once.
      ports::UpdateRequest undo;
      undo.server = server;
      undo.zone = zone;
      undo.deletions = request.additions;
      (void)update_.apply(undo);
      return fail(ErrorKind::Internal,
                  fmt::format("{}: {} accepted an UPDATE whose prerequisite cannot hold (name in "
                              "use: {}.{}); the server does not honour prerequisites",
                              who_, server.toString(), *label, zone));
    }
    if (applied.error().kind != ErrorKind::PreconditionFailed)
      return fail(applied.error().withContext(
          fmt::format("{}: checking whether it may change TLSA at {}", who_, owner)));
  }
  return fmt::format(
      "{}: {} accepts its TLSA updates at {} in zone {} (tested with an UPDATE "
      "whose prerequisite cannot hold, so nothing changed)",
      who_, server.toString(), fmt::format("{}", fmt::join(owners, ", ")), zone);
}

}  // namespace daneguard::adapters::publishers
