// `daneguard check`: runs every check (app/check/service_checks.hpp) over the configured
// services and prints one line per finding with a suggested fix, or JSON. It supplies the
// checks' I/O: the publishers (access tested read-only), certbot renewal confs, and the files
// Postfix reads (postconf, run without a shell) (docs/check.md). Exit 0 when nothing
// is worth a warning, 1 otherwise (docs/exit-codes.md); changes nothing.
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "adapters/certificates/pem_certificate_loader.hpp"
#include "adapters/config_toml/config_toml.hpp"
#include "adapters/dns/ldns_dns_query.hpp"
#include "adapters/files/bounded_file.hpp"
#include "adapters/process/posix_hook_runner.hpp"
#include "adapters/publishers/publisher_directory.hpp"
#include "adapters/resolver/unbound_dane_lookup.hpp"
#include "adapters/resolver/validating_resolver_lookup.hpp"
#include "app/check/service_checks.hpp"
#include "cli/command.hpp"
#include "cli/global_options.hpp"

namespace daneguard::cli {
namespace {

constexpr const char* kDefaultConfigPath = "/etc/daneguard/daneguard.toml";
constexpr const char* kDefaultPostfixConfig = "/etc/postfix";
constexpr int kFindingsExit = 1;
// The hook runner's fixed PATH: where a Debian system keeps postconf.
constexpr std::array<const char*, 4> kProgramDirectories = {"/usr/sbin", "/usr/bin", "/sbin",
                                                            "/bin"};
constexpr std::size_t kPostconfOutputBytes = 64 * 1024;
constexpr std::size_t kRenewalConfMaxBytes = 256 * 1024;

struct CheckOptions {
  std::string config_path = kDefaultConfigPath;
  std::vector<std::string> services;
  bool json = false;
  std::uint16_t authority_port = 53;
  std::vector<std::string> trust_anchors;
  std::string resolver;
  std::vector<std::string> stubs;
  bool no_dnssec = false;
  std::string postfix_config = kDefaultPostfixConfig;
};

Result<ports::DnsServer> parseServer(const std::string& flag, const std::string& text) {
  auto server = ports::parseDnsServer(text);
  if (!server) return fail(ErrorKind::Usage, flag + ": " + server.error().message);
  return server;
}

/// The validating path, as `verify` builds it: a validating resolver whose AD bit is trusted,
/// or libunbound with the given (default: the system root) trust anchors and stub zones.
Result<std::unique_ptr<ports::DaneLookup>> makeLookup(const CheckOptions& options) {
  using namespace adapters::resolver;
  if (!options.resolver.empty()) {
    if (!options.trust_anchors.empty() || !options.stubs.empty())
      return fail(ErrorKind::Usage,
                  "--resolver (trust the resolver's AD bit) cannot be combined with "
                  "--trust-anchor or --stub (validate here)");
    auto server = parseServer("--resolver", options.resolver);
    if (!server) return fail(std::move(server.error()));
    return std::unique_ptr<ports::DaneLookup>(std::make_unique<ValidatingResolverLookup>(*server));
  }
  UnboundLookupOptions settings;
  for (const std::string& file : options.trust_anchors)
    settings.trust_anchor_files.emplace_back(file);
  for (const std::string& stub : options.stubs) {
    const auto equals = stub.find('=');
    if (equals == std::string::npos || equals == 0)
      return fail(ErrorKind::Usage, "--stub '" + stub +
                                        "': expected ZONE=HOST[:PORT], e.g. "
                                        "example.test=127.0.0.1:5353");
    auto server = parseServer("--stub", stub.substr(equals + 1));
    if (!server) return fail(std::move(server.error()));
    settings.stub_zones.push_back({stub.substr(0, equals), {*server}});
  }
  auto lookup = UnboundDaneLookup::create(std::move(settings));
  if (!lookup) return fail(std::move(lookup.error()));
  return std::unique_ptr<ports::DaneLookup>(std::move(*lookup));
}

/// certbot's renewal confs, read like every operator file (bounded, regular files only).
Result<std::string> readSmallFile(const std::string& path) {
  auto content = adapters::files::readBoundedFile(
      path, adapters::files::BoundedFileSpec{.max_bytes = kRenewalConfMaxBytes,
                                             .what = "certbot renewal file"});
  if (!content) return fail(std::move(content.error()));
  return std::string(content->revealText());
}

std::optional<std::string> findProgram(const std::string& name) {
  for (const char* directory : kProgramDirectories) {
    const std::filesystem::path candidate = std::filesystem::path(directory) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return std::nullopt;
}

/// The certificate and key files Postfix reads, from `postconf -c DIR -x -h ...` run without a
/// shell. No postconf (Postfix not installed here): a notice, nothing else to check.
app::check::ServerFilesGathering gatherPostfixFiles(const std::string& config_directory) {
  app::check::ServerFilesGathering gathered;
  const std::string server = "Postfix (" + config_directory + ")";
  const auto postconf = findProgram("postconf");
  if (!postconf) {
    gathered.findings.push_back(
        {app::check::Severity::Notice, "", server,
         "postconf not found, so whether Postfix reads certbot's live/ files was not checked",
         "run `daneguard check` on the host that runs Postfix"});
    return gathered;
  }
  ports::HookInvocation invocation;
  invocation.label = "postconf";
  invocation.argv = app::check::postconfArgv(config_directory);
  invocation.argv.front() = *postconf;
  invocation.timeout = std::chrono::seconds(30);
  invocation.kill_grace = std::chrono::seconds(1);
  adapters::process::PosixHookRunner runner(kPostconfOutputBytes);
  auto outcome = runner.run(invocation);
  if (!outcome) {
    gathered.findings.push_back(
        {app::check::Severity::Warning, "", server,
         "cannot read the Postfix configuration: " + outcome.error().message,
         "pass the directory holding main.cf with --postfix-config DIR"});
    return gathered;
  }
  if (outcome->stdout_bytes > outcome->stdout_tail.size()) {
    // Only the tail was kept: a partial list would hide files, so say so instead.
    gathered.findings.push_back(
        {app::check::Severity::Warning, "", server,
         "postconf printed more than expected, so the files Postfix reads were not checked",
         "check smtpd_tls_chain_files and smtpd_tls_cert_file in main.cf by hand"});
    return gathered;
  }
  gathered.servers.push_back({server, app::check::parsePostconfFiles(outcome->stdout_tail)});
  return gathered;
}

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
  adapters::publishers::ConfiguredPublisherDirectory publishers(*config, query,
                                                                std::move(directory_options));
  adapters::certificates::PemCertificateLoader certificates;
  std::unique_ptr<ports::DaneLookup> lookup;
  if (!options.no_dnssec) {
    auto made = makeLookup(options);
    if (!made) return fail(std::move(made.error()));
    lookup = std::move(*made);
  }
  app::check::CheckPorts ports{
      certificates,  publishers,
      query,         lookup.get(),
      readSmallFile, [&options] { return gatherPostfixFiles(options.postfix_config); }};
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
      "DNSSEC, each publisher's access and each certbot source, with a fix for each finding; "
      "changes nothing");
  registerGlobalOptions(*command);
  command->add_option("-c,--config", options->config_path, "configuration file")
      ->capture_default_str()
      ->envname("DANEGUARD_CONFIG");
  command->add_option("--service", options->services, "only this service (repeatable)");
  command->add_flag("--json", options->json, "machine-readable output on stdout");
  command
      ->add_option("--trust-anchor", options->trust_anchors,
                   "DS/DNSKEY zone-file lines to validate from, repeatable "
                   "[/usr/share/dns/root.key]")
      ->allow_extra_args(false);
  command->add_option("--resolver", options->resolver,
                      "HOST[:PORT] of a validating resolver whose AD bit is trusted");
  command
      ->add_option("--stub", options->stubs,
                   "ZONE=HOST[:PORT]: ask these authoritative servers for ZONE (private zones), "
                   "repeatable")
      ->allow_extra_args(false);
  command->add_flag("--no-dnssec", options->no_dnssec,
                    "skip the DNSSEC checks (reported as a notice)");
  command
      ->add_option("--postfix-config", options->postfix_config,
                   "Postfix configuration directory whose certificate files are checked against "
                   "certbot's live/ (needs postconf)")
      ->capture_default_str();
  command
      ->add_option("--authority-port", options->authority_port,
                   "port for NS addresses (tests only; 53 in production)")
      ->group("");
  return [options]() { return runCheck(*options); };
}

}  // namespace daneguard::cli
