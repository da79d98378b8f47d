// `daneguard verify`: flags and output of the live DANE check (app/verify.hpp). This file picks
// the DNS path (libunbound with a trust anchor, a validating resolver with AD required, or the
// system resolver for addresses only with --tlsa) and the prober, then prints one line per
// endpoint and key type, or JSON.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "adapters/resolver/system_address_lookup.hpp"
#include "adapters/resolver/unbound_dane_lookup.hpp"
#include "adapters/resolver/validating_resolver_lookup.hpp"
#include "adapters/tls/openssl_tls_probe.hpp"
#include "app/verify.hpp"
#include "cli/command.hpp"
#include "core/hex.hpp"
#include "core/tls/starttls_protocol.hpp"
#include "core/tlsa/tlsa_presentation.hpp"

namespace daneguard::cli {
namespace {

struct VerifyOptions {
  std::string target;
  std::string mx_domain;
  std::string starttls;
  std::vector<std::string> tlsa;
  std::vector<std::string> trust_anchors;
  std::string resolver;
  std::string forward;
  std::vector<std::string> stubs;
  std::string key_types;
  double timeout_seconds = 10;
  bool json = false;
};

struct HostPort {
  std::string host;
  std::uint16_t port = 25;
};

/// "host", "host:port", "[v6]", "[v6]:port", or a bare v6 literal (no port).
Result<HostPort> parseHostPort(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return fail(ErrorKind::Usage, "'" + std::string(text) + "': " + std::string(why));
  };
  HostPort parsed;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return bad("missing ']' after the IPv6 address");
    parsed.host = std::string(text.substr(1, close - 1));
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("expected ':PORT' after ']'");
      port_text = rest.substr(1);
      if (port_text.empty()) return bad("empty port");
    }
  } else if (std::count(text.begin(), text.end(), ':') > 1) {
    parsed.host = std::string(text);
  } else if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    parsed.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (port_text.empty()) return bad("empty port");
  } else {
    parsed.host = std::string(text);
  }
  if (parsed.host.empty()) return bad("no host");
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535)
      return bad("port must be a number from 1 to 65535");
    parsed.port = static_cast<std::uint16_t>(port);
  }
  return parsed;
}

Result<ports::DnsServer> parseServer(const std::string& flag, const std::string& text) {
  auto server = ports::parseDnsServer(text);
  if (!server) return fail(ErrorKind::Usage, flag + ": " + server.error().message);
  return server;
}

Result<std::unique_ptr<ports::DaneLookup>> makeLookup(const VerifyOptions& options) {
  using namespace adapters::resolver;
  const std::chrono::milliseconds timeout(static_cast<long>(options.timeout_seconds * 1000));
  const bool local_validation =
      !options.trust_anchors.empty() || !options.forward.empty() || !options.stubs.empty();
  if (!options.resolver.empty()) {
    if (local_validation) {
      return fail(ErrorKind::Usage,
                  "--resolver (trust the resolver's AD bit) cannot be combined with "
                  "--trust-anchor, --forward or --stub (validate here)");
    }
    auto server = parseServer("--resolver", options.resolver);
    if (!server) return fail(std::move(server.error()));
    adapters::dns::TransportOptions transport;
    transport.timeout = timeout;
    return std::unique_ptr<ports::DaneLookup>(
        std::make_unique<ValidatingResolverLookup>(*server, transport));
  }
  if (!options.tlsa.empty() && !local_validation)
    return std::unique_ptr<ports::DaneLookup>(std::make_unique<SystemAddressLookup>());
  UnboundLookupOptions settings;
  settings.timeout = timeout;
  for (const std::string& file : options.trust_anchors)
    settings.trust_anchor_files.emplace_back(file);
  if (!options.forward.empty()) {
    auto server = parseServer("--forward", options.forward);
    if (!server) return fail(std::move(server.error()));
    settings.forwarder = *server;
  }
  for (const std::string& stub : options.stubs) {
    const auto equals = stub.find('=');
    if (equals == std::string::npos || equals == 0) {
      return fail(
          ErrorKind::Usage,
          "--stub '" + stub + "': expected ZONE=HOST[:PORT], e.g. example.test=127.0.0.1:5353");
    }
    auto server = parseServer("--stub", stub.substr(equals + 1));
    if (!server) return fail(std::move(server.error()));
    settings.stub_zones.push_back({stub.substr(0, equals), {*server}});
  }
  auto lookup = UnboundDaneLookup::create(std::move(settings));
  if (!lookup) return fail(std::move(lookup.error()));
  return std::unique_ptr<ports::DaneLookup>(std::move(*lookup));
}

std::string localHostName() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  return name.data();
}

void printJson(const app::VerifyReport& report) {
  nlohmann::json lines = nlohmann::json::array();
  for (const app::VerifyLine& line : report.lines) {
    nlohmann::json entry{{"status", app::verifyStatusWord(line.status)},
                         {"endpoint", line.endpoint},
                         {"key_type", line.key_type},
                         {"detail", line.detail},
                         {"line", app::formatVerifyLine(line)}};
    if (!line.tls_version.empty()) entry["tls_version"] = line.tls_version;
    if (line.matched) {
      entry["matched"] = formatTlsaRdata(*line.matched);
      entry["depth"] = line.depth;
    }
    lines.push_back(std::move(entry));
  }
  const nlohmann::json document{{"results", lines}, {"exit_code", report.exit_code}};
  fmt::print("{}\n", document.dump(2));
}

Result<int> runVerify(const VerifyOptions& options) {
  const bool by_mx = !options.mx_domain.empty();
  if (by_mx == !options.target.empty())
    return fail(ErrorKind::Usage, "verify needs exactly one of HOST[:PORT] or --mx DOMAIN");
  app::VerifyRequest request;
  request.timeout = std::chrono::milliseconds(static_cast<long>(options.timeout_seconds * 1000));
  request.ehlo_name = localHostName();
  if (by_mx) {
    request.mx_domain = options.mx_domain;
    request.port = 25;
  } else {
    auto target = parseHostPort(options.target);
    if (!target) return fail(std::move(target.error()));
    request.host = target->host;
    request.port = target->port;
  }
  if (!options.starttls.empty()) {
    auto protocol = parseStartTlsProtocol(options.starttls);
    if (!protocol)
      return fail(ErrorKind::Usage, "--starttls: unknown protocol '" + options.starttls + "'");
    request.protocol = *protocol;
  } else if (auto protocol = defaultStartTlsProtocolForPort(request.port)) {
    request.protocol = *protocol;
  } else {
    return fail(ErrorKind::Usage, "port " + std::to_string(request.port) +
                                      " has no conventional protocol: give --starttls PROTO "
                                      "(or --starttls implicit)");
  }
  for (const std::string& text : options.tlsa) {
    auto record = parseTlsaRdataFromDns(text);
    if (!record) return fail(ErrorKind::Usage, "--tlsa '" + text + "': " + record.error().message);
    request.given_tlsa.push_back(std::move(*record));
  }
  if (!options.key_types.empty()) {
    auto key_types = app::parseProbeKeyTypes(options.key_types);
    if (!key_types) return fail(std::move(key_types.error()));
    request.key_types = std::move(*key_types);
  }
  auto lookup = makeLookup(options);
  if (!lookup) return fail(std::move(lookup.error()));
  adapters::tls::OpenSslTlsProbe probe;
  auto report = app::runVerify(request, **lookup, probe);
  if (!report) return fail(std::move(report.error()));
  if (options.json) {
    printJson(*report);
  } else {
    for (const app::VerifyLine& line : report->lines)
      fmt::print("{}\n", app::formatVerifyLine(line));
  }
  std::fflush(stdout);
  return report->exit_code;
}

}  // namespace

CommandAction registerVerifyCommand(CLI::App& parent) {
  auto options = std::make_shared<VerifyOptions>();
  CLI::App* command = parent.add_subcommand(
      "verify",
      "Probe endpoints and authenticate them against their DNSSEC-validated TLSA records, as a "
      "DANE client would (exit 0 only when every endpoint authenticates; docs/verify.md)");
  command->add_option("HOST[:PORT]", options->target, "endpoint to check (port default 25)");
  command->add_option("--mx", options->mx_domain,
                      "check every MX host of this mail domain on port 25 (no MX: the domain)");
  command->add_option("--starttls", options->starttls,
                      "smtp, lmtp, imap, pop3, ftp, xmpp-client, xmpp-server, sieve, ldap, "
                      "postgres, nntp or implicit [from the port]");
  command
      ->add_option("--tlsa", options->tlsa,
                   R"(check against this record instead of DNS, repeatable: "3 1 1 <hex>")")
      ->allow_extra_args(false);
  command
      ->add_option("--trust-anchor", options->trust_anchors,
                   "DS/DNSKEY zone-file lines to validate from, repeatable "
                   "[/usr/share/dns/root.key]")
      ->allow_extra_args(false);
  command->add_option("--resolver", options->resolver,
                      "HOST[:PORT] of a validating resolver whose AD bit is trusted (no local "
                      "validation)");
  command->add_option("--forward", options->forward,
                      "HOST[:PORT] of a resolver to send queries to; answers are still "
                      "validated here with the trust anchor");
  command
      ->add_option("--stub", options->stubs,
                   "ZONE=HOST[:PORT]: ask these authoritative servers for ZONE (private "
                   "zones), repeatable")
      ->allow_extra_args(false);
  command->add_option("--key-types", options->key_types,
                      "any, or a list of rsa,ecdsa,ed25519 that must each authenticate "
                      "[rsa and ecdsa, each distinct certificate reported]");
  command->add_option("--timeout", options->timeout_seconds, "seconds per probe and lookup [10]")
      ->check(CLI::Range(0.1, 300.0));
  command->add_flag("--json", options->json, "machine-readable output");
  return [options] { return runVerify(*options); };
}

}  // namespace daneguard::cli
