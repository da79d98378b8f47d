// DaneBot's command line (stuvusIT/danebot), translated into an in-memory configuration with one
// service, so that DaneBot users switch by changing the program name. Flag names, defaults and
// environment variables are a compatibility contract (docs/cli.md "DaneBot compatibility").
//
// Differences on purpose: --propagation-time is how long every authoritative server may take to
// serve the new records before the run gives up (DaneBot added it to a fixed sleep); the wait
// itself comes from observed TTLs. --probe probes the first name and port as DaneBot does, but
// every address of it, and requires a full DANE verdict (docs/rollover.md "Verification").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"
#include "core/error.hpp"
#include "core/secret.hpp"

namespace daneguard::app {

inline constexpr std::string_view kDanebotServiceName = "danebot";
inline constexpr std::string_view kDanebotKeyVariable = "DANEBOT_RFC2136_TSIG_KEY";
inline constexpr std::string_view kDanebotSecretVariable = "DANEBOT_RFC2136_TSIG_SECRET";

struct DanebotOptions {
  std::optional<std::string> cert_file;  // absolute (the CLI resolves relative paths)
  std::vector<std::string> domains;
  std::vector<std::uint16_t> tcp_ports;
  std::optional<std::string> hook;  // absolute
  std::optional<std::string> nameserver;
  std::optional<std::string> tsig_key;
  std::optional<std::string> tsig_secret;  // from argv: visible to other users, warned about
  std::optional<std::string> tsig_algorithm;
  std::optional<std::uint32_t> ttl;
  std::optional<std::chrono::seconds> propagation_time;
  bool probe = false;

  /// True when any DaneBot flag was given (the invocation is then DaneBot style).
  [[nodiscard]] bool any() const;
};

struct DanebotInvocation {
  config::Config config;  // one service "danebot", one rfc2136 publisher "danebot"
  /// The secret when it came from argv; the publisher otherwise reads the environment variable.
  std::optional<SecretBytes> tsig_secret;
  std::vector<std::string> warnings;
};

/// Looks up an environment variable (std::getenv in production, a map in tests).
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view)>;

/// Usage errors name the flag; nothing in a message repeats the secret.
Result<DanebotInvocation> danebotInvocation(const DanebotOptions& options,
                                            const EnvironmentLookup& environment);

}  // namespace daneguard::app
