// DaneBot flags -> one-service configuration (see danebot_invocation.hpp).
#include "app/danebot_invocation.hpp"

#include <algorithm>
#include <cctype>

#include "core/dns/domain_name.hpp"
#include "core/dns/tsig_algorithm.hpp"
#include "ports/dns_query.hpp"

namespace daneguard::app {

bool DanebotOptions::any() const {
  return cert_file || !domains.empty() || !tcp_ports.empty() || hook || nameserver || tsig_key ||
         tsig_secret || tsig_algorithm || ttl || propagation_time || probe;
}

Result<DanebotInvocation> danebotInvocation(const DanebotOptions& options,
                                            const EnvironmentLookup& environment) {
  const auto missing = [](std::string_view flag) {
    return fail(ErrorKind::Usage,
                "DaneBot-style invocation: " + std::string(flag) + " is required");
  };
  if (!options.cert_file) return missing("--cert-file");
  if (options.domains.empty()) return missing("-d/--domain");
  if (options.tcp_ports.empty()) return missing("--tcp");
  if (!options.hook) return missing("--hook");
  if (!options.nameserver) return missing("--rfc2136-nameserver");

  DanebotInvocation invocation;
  config::Service service;
  service.name = std::string(kDanebotServiceName);
  for (const std::string& domain : options.domains) {
    auto name = DomainName::parse(domain);
    if (!name) return fail(ErrorKind::Usage, "-d " + domain + ": " + name.error().message);
    std::string host = name->toString();
    host.pop_back();  // configuration form: no trailing dot
    if (std::find(service.hosts.begin(), service.hosts.end(), host) == service.hosts.end())
      service.hosts.push_back(host);
  }
  for (const std::uint16_t port : options.tcp_ports) {
    if (port == 0) return fail(ErrorKind::Usage, "--tcp 0: a port must be 1-65535");
    if (std::find(service.ports.begin(), service.ports.end(), port) == service.ports.end())
      service.ports.push_back(port);
  }
  service.protocol = config::TransportProtocol::Tcp;
  service.records = {TlsaParameters{}};  // 3 1 1, as DaneBot publishes
  service.ttl = options.ttl.value_or(3600);
  if (service.ttl == 0) return fail(ErrorKind::Usage, "--ttl must be at least 1 second");
  service.publisher = std::string(kDanebotServiceName);
  service.certificate = config::PemBundleSource{*options.cert_file};
  service.deploy = config::HookDeploy{{*options.hook}, std::chrono::seconds(120)};
  service.probe.enabled = options.probe;
  if (options.probe) {
    // DaneBot probes the first name and port; daneguard probes every address of it and asks
    // for the full DANE verdict, not just an equal certificate.
    service.probe.configured = true;
    service.probe.endpoints = {config::ServerAddress{service.hosts.front(), service.ports.front()}};
  }
  if (options.propagation_time) {
    if (options.propagation_time->count() <= 0)
      return fail(ErrorKind::Usage, "--propagation-time must be at least 1 second");
    service.rollover.propagation_timeout = *options.propagation_time;
    service.rollover.poll_interval =
        std::min(service.rollover.poll_interval, service.rollover.propagation_timeout);
  }

  auto server = ports::parseDnsServer(*options.nameserver);
  if (!server) return fail(ErrorKind::Usage, "--rfc2136-nameserver: " + server.error().message);
  const std::optional<std::string> key_from_environment = environment(kDanebotKeyVariable);
  const std::optional<std::string> key_name =
      options.tsig_key ? options.tsig_key : key_from_environment;
  if (!key_name || key_name->empty())
    return fail(ErrorKind::Usage, "a TSIG key name is required: --rfc2136-tsig-key NAME or " +
                                      std::string(kDanebotKeyVariable));
  auto algorithm = parseTsigAlgorithm(options.tsig_algorithm.value_or("hmac-sha256"));
  if (!algorithm) {
    return fail(ErrorKind::Usage, "--rfc2136-tsig-algo: " + algorithm.error().message);
  }
  if (options.tsig_secret) {
    invocation.tsig_secret = SecretBytes::copyOf(*options.tsig_secret);
    invocation.warnings.emplace_back(
        "--rfc2136-tsig-secret is visible to every user of this machine (ps, /proc); put the "
        "secret in the environment variable " +
        std::string(kDanebotSecretVariable) + " instead");
  } else {
    const auto secret = environment(kDanebotSecretVariable);
    if (!secret || secret->empty())
      return fail(ErrorKind::Usage, "a TSIG secret is required: set " +
                                        std::string(kDanebotSecretVariable) +
                                        " (or --rfc2136-tsig-secret, which other users can see)");
  }
  config::Rfc2136Publisher publisher;
  publisher.server = config::ServerAddress{server->host, server->port};
  publisher.tsig =
      config::TsigSecretEnvironment{*key_name, *algorithm, std::string(kDanebotSecretVariable)};

  invocation.config.publishers.emplace(std::string(kDanebotServiceName), publisher);
  invocation.config.rollover = service.rollover;
  invocation.config.services.push_back(std::move(service));
  return invocation;
}

}  // namespace daneguard::app
