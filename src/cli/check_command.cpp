// `daneguard check`: runs every check (app/check/service_checks.hpp) over the configured
// services and prints one line per finding with a suggested fix, or JSON. Exit 0 when nothing
// is worth a warning, 1 otherwise (docs/exit-codes.md); changes nothing.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "adapters/certificates/pem_certificate_loader.hpp"
#include "adapters/config_toml/config_toml.hpp"
#include "adapters/dns/ldns_dns_query.hpp"
#include "adapters/publishers/rfc2136_publisher_directory.hpp"
#include "app/check/service_checks.hpp"
#include "cli/command.hpp"
#include "cli/global_options.hpp"

namespace daneguard::cli {
namespace {

constexpr const char* kDefaultConfigPath = "/etc/daneguard/daneguard.toml";
constexpr int kFindingsExit = 1;

struct CheckOptions {
  std::string config_path = kDefaultConfigPath;
  std::vector<std::string> services;
  bool json = false;
  std::uint16_t authority_port = 53;
};

nlohmann::json findingsJson(const app::check::Findings& findings) {
  nlohmann::json list = nlohmann::json::array();
  for (const app::check::Finding& finding : findings)
    list.push_back({{"severity", app::check::severityName(finding.severity)},
                    {"service", finding.service},
                    {"subject", finding.subject},
                    {"message", finding.message},
                    {"fix", finding.fix}});
  return nlohmann::json{{"findings", list},
                        {"worst", app::check::severityName(app::check::worstSeverity(findings))}};
}

Result<int> runCheck(const CheckOptions& options) {
  auto config = adapters::config_toml::loadConfigFile(options.config_path);
  if (!config) return fail(std::move(config.error()));
  adapters::dns::LdnsDnsQuery query;
  adapters::publishers::DirectoryOptions directory_options;
  directory_options.authority_port = options.authority_port;
  adapters::publishers::Rfc2136PublisherDirectory publishers(*config, query,
                                                             std::move(directory_options));
  adapters::certificates::PemCertificateLoader certificates;
  // The validating lookup (ports/dane_lookup.hpp) is wired here once its adapter exists.
  app::check::CheckPorts ports{certificates, publishers, query, nullptr};
  auto findings = app::check::runChecks(*config, ports, options.services);
  if (!findings) return fail(std::move(findings.error()));

  if (options.json) {
    fmt::print("{}\n", findingsJson(*findings).dump(2));
  } else {
    const bool verbose = globalOptions().verbose > 0;
    for (const app::check::Finding& finding : *findings)
      if (finding.severity != app::check::Severity::Ok || verbose)
        fmt::print("{}\n", app::check::formatFinding(finding));
  }
  std::fflush(stdout);
  return app::check::worstSeverity(*findings) >= app::check::Severity::Warning ? kFindingsExit : 0;
}

}  // namespace

CommandAction registerCheckCommand(CLI::App& parent) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* command = parent.add_subcommand(
      "check",
      "Check every service's published TLSA records against the DANE rules and its certificate, "
      "with a fix for each finding; changes nothing");
  registerGlobalOptions(*command);
  command->add_option("-c,--config", options->config_path, "configuration file")
      ->capture_default_str()
      ->envname("DANEGUARD_CONFIG");
  command->add_option("--service", options->services, "only this service (repeatable)");
  command->add_flag("--json", options->json, "machine-readable output on stdout");
  command
      ->add_option("--authority-port", options->authority_port,
                   "port for NS addresses (tests only; 53 in production)")
      ->group("");
  return [options]() { return runCheck(*options); };
}

}  // namespace daneguard::cli
