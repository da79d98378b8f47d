// `daneguard run`, `plan` and `status`, and the DaneBot-style invocation without a subcommand:
// option parsing and output around app::runRollover; the adapters are wired in run_wiring.hpp,
// shared with `certbot-hook`.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>

#include "adapters/config_toml/config_toml.hpp"
#include "adapters/files/lock_file.hpp"
#include "app/danebot_invocation.hpp"
#include "app/rollover_runner.hpp"
#include "cli/command.hpp"
#include "cli/global_options.hpp"
#include "cli/run_events_sink.hpp"
#include "cli/run_wiring.hpp"
#include "core/rollover/rollover_planner.hpp"

namespace daneguard::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultConfigPath = "/etc/daneguard/daneguard.toml";

enum class CommandKind { Run, Plan, Status };

struct RolloverCommandOptions {
  std::string config_path = kDefaultConfigPath;
  CLI::Option* config_option = nullptr;
  std::string state_dir;
  std::vector<std::string> services;
  bool wait = false;
  bool json = false;
  int cache_factor = 0;
  CLI::Option* cache_factor_option = nullptr;
  long margin_seconds = 0;
  CLI::Option* margin_option = nullptr;
  long poll_seconds = 0;
  CLI::Option* poll_option = nullptr;
  std::uint16_t authority_port = 53;
  // DaneBot flags, bound to plain values; "given" is read from the options afterwards.
  std::string cert_file, hook, nameserver, tsig_key, tsig_secret, tsig_algo;
  std::vector<std::string> domains;
  std::vector<std::uint16_t> tcp_ports;
  std::uint32_t ttl = 3600;
  long propagation_seconds = 0;
  bool probe = false;
  std::vector<std::pair<CLI::Option*, std::string*>> danebot_text;
  CLI::Option* ttl_option = nullptr;
  CLI::Option* propagation_option = nullptr;
};

void addDanebotOptions(CLI::App& app, RolloverCommandOptions& options) {
  const std::string group = "DaneBot-compatible invocation";
  const auto text = [&](const char* name, std::string& target, const char* help) {
    CLI::Option* option = app.add_option(name, target, help)->group(group);
    options.danebot_text.emplace_back(option, &target);
  };
  text("--cert-file", options.cert_file, "PEM file with the certificate, chain and key");
  app.add_option("-d,--domain", options.domains, "host name served (repeatable)")->group(group);
  app.add_option("--tcp", options.tcp_ports, "TCP port with TLS (repeatable)")
      ->check(CLI::Range(1, 65535))
      ->group(group);
  text("--hook", options.hook, "program that installs the certificate (run without a shell)");
  text("--rfc2136-nameserver", options.nameserver, "primary for UPDATE: HOST[:PORT], [V6]:PORT");
  text("--rfc2136-tsig-key", options.tsig_key, "TSIG key name [$DANEBOT_RFC2136_TSIG_KEY]");
  text("--rfc2136-tsig-secret", options.tsig_secret,
       "TSIG secret (visible to other users: prefer $DANEBOT_RFC2136_TSIG_SECRET)");
  text("--rfc2136-tsig-algo", options.tsig_algo, "TSIG algorithm [hmac-sha256]");
  options.ttl_option =
      app.add_option("--ttl", options.ttl, "TTL of published TLSA records [3600]")->group(group);
  options.propagation_option =
      app.add_option("--propagation-time", options.propagation_seconds,
                     "seconds every authoritative server may take to serve new records")
          ->check(CLI::PositiveNumber)
          ->group(group);
  app.add_flag("--probe", options.probe,
               "probe the first name and port before and after deploying (DANE verdict)")
      ->group(group);
}

void addCommonOptions(CLI::App& app, RolloverCommandOptions& options, CommandKind kind) {
  options.config_option = app.add_option("-c,--config", options.config_path, "configuration file")
                              ->capture_default_str()
                              ->envname("DANEGUARD_CONFIG");
  app.add_option("--state-dir", options.state_dir,
                 "state directory [$DANEGUARD_STATE_DIR, else the config's state_dir]")
      ->envname("DANEGUARD_STATE_DIR");
  app.add_option("--service", options.services, "only this service (repeatable)");
  app.add_flag("--json", options.json, "machine-readable output on stdout");
  if (kind == CommandKind::Run)
    app.add_flag("--wait", options.wait,
                 "stay until every rollover is finished, sleeping until each next step");
  {  // status plans in memory too, so the knobs change the phase and due time it shows
    options.poll_option =
        app.add_option("--poll-interval", options.poll_seconds,
                       "seconds between checks while waiting for servers (overrides config)")
            ->check(CLI::PositiveNumber);
    options.margin_option = app.add_option("--margin", options.margin_seconds,
                                           "seconds added to the cache window (overrides config)")
                                ->check(CLI::NonNegativeNumber);
    options.cache_factor_option =
        app.add_option("--cache-factor", options.cache_factor,
                       "multiple of the longest TTL to wait (overrides config)")
            ->check(CLI::Range(1, 100));
  }
  app.add_option("--authority-port", options.authority_port,
                 "port for NS addresses (tests only; 53 in production)")
      ->group("");
  addDanebotOptions(app, options);
}

app::DanebotOptions danebotOptions(const RolloverCommandOptions& options) {
  app::DanebotOptions danebot;
  const auto given = [&](const std::string& target) -> std::optional<std::string> {
    for (const auto& [option, bound] : options.danebot_text)
      if (bound == &target && option->count() > 0) return target;
    return std::nullopt;
  };
  // Relative paths are resolved now: the config model, like systemd and cron, wants absolute.
  const auto absolute = [](std::optional<std::string> path) -> std::optional<std::string> {
    if (!path) return path;
    std::error_code error;
    const fs::path resolved = fs::absolute(*path, error);
    return error ? path : std::optional<std::string>(resolved.lexically_normal().string());
  };
  danebot.cert_file = absolute(given(options.cert_file));
  danebot.domains = options.domains;
  danebot.tcp_ports = options.tcp_ports;
  danebot.hook = absolute(given(options.hook));
  danebot.nameserver = given(options.nameserver);
  danebot.tsig_key = given(options.tsig_key);
  danebot.tsig_secret = given(options.tsig_secret);
  danebot.tsig_algorithm = given(options.tsig_algo);
  if (options.ttl_option->count() > 0) danebot.ttl = options.ttl;
  if (options.propagation_option->count() > 0)
    danebot.propagation_time = std::chrono::seconds(options.propagation_seconds);
  danebot.probe = options.probe;
  return danebot;
}

std::optional<std::string> environmentVariable(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

struct LoadedSetup {
  config::Config config;
  std::optional<SecretBytes> argv_secret;
};

Result<LoadedSetup> loadSetup(const RolloverCommandOptions& options, app::RunEvents& events) {
  const app::DanebotOptions danebot = danebotOptions(options);
  if (!danebot.any()) {
    auto config = adapters::config_toml::loadConfigFile(options.config_path);
    if (!config) return fail(std::move(config.error()));
    return LoadedSetup{std::move(*config), std::nullopt};
  }
  if (options.config_option->count() > 0)
    events.log(app::LogLevel::Warning, "",
               "DaneBot-style flags (--cert-file, -d, ...) describe the service: the "
               "configuration file " +
                   options.config_path + " is not read");
  auto invocation = app::danebotInvocation(danebot, environmentVariable);
  if (!invocation) return fail(std::move(invocation.error()));
  for (const std::string& warning : invocation->warnings)
    events.log(app::LogLevel::Warning, app::kDanebotServiceName, warning);
  return LoadedSetup{std::move(invocation->config), std::move(invocation->tsig_secret)};
}

std::string dueText(const std::optional<std::chrono::sys_seconds>& due) {
  return due ? formatInstant(*due) : std::string("-");
}

nlohmann::json serviceJson(const app::ServiceReport& service) {
  nlohmann::json servers = nlohmann::json::array();
  for (const app::ServerRecordCount& server : service.servers)
    servers.push_back({{"server", server.server},
                       {"records", server.records},
                       {"failed_queries", server.failed_queries}});
  nlohmann::json entry{{"service", service.service},
                       {"deployed_id", service.deployed_id},
                       {"candidate_id", service.candidate_id},
                       {"phase", service.planned ? phaseName(service.phase) : "Error"},
                       {"reasons", service.reasons},
                       {"next_due", service.due ? nlohmann::json(formatInstant(*service.due))
                                                : nlohmann::json(nullptr)},
                       {"servers", servers}};
  if (service.error)
    entry["error"] = {{"kind", errorKindName(service.error->kind)},
                      {"message", service.error->message}};
  return entry;
}

nlohmann::json reportJson(const app::RunReport& report, const RunEventsSink& sink) {
  nlohmann::json actions = nlohmann::json::array();
  for (const RunEventsSink::ActionLine& action : sink.actions())
    actions.push_back({{"service", action.service}, {"action", action.line}});
  nlohmann::json services = nlohmann::json::array();
  for (const app::ServiceReport& service : report.services)
    services.push_back(serviceJson(service));
  nlohmann::json document{
      {"actions", actions},
      {"services", services},
      {"next_due", report.next_due ? nlohmann::json(formatInstant(*report.next_due))
                                   : nlohmann::json(nullptr)}};
  if (report.failure)
    document["error"] = {{"kind", errorKindName(report.failure->kind)},
                         {"message", report.failure->message}};
  return document;
}

/// "mail: deployed a2c0f1e2d3c4b5a6, candidate 9f3b..., phase AwaitingCacheExpiry, next due
/// 2026-11-26T03:00:00Z, records ns1.example.test. (127.0.0.1:53)=2 ..."
std::string statusLine(const app::ServiceReport& service) {
  std::vector<std::string> servers;
  for (const app::ServerRecordCount& server : service.servers)
    servers.push_back(fmt::format("{}={}{}", server.server, server.records,
                                  server.failed_queries > 0 ? " (query failed)" : ""));
  return fmt::format(
      "{}: deployed {}, candidate {}, phase {}, next due {}, records {}", service.service,
      service.deployed_id.empty() ? "-" : app::shortId(service.deployed_id),
      service.candidate_id.empty() ? "-" : app::shortId(service.candidate_id),
      service.planned ? phaseName(service.phase) : "Error", dueText(service.due),
      servers.empty() ? std::string("-") : fmt::format("{}", fmt::join(servers, " ")));
}

std::string nextDueLine(const app::RunReport& report) {
  if (!report.next_due) return "all services idle; nothing is due";
  for (const app::ServiceReport& service : report.services)
    if (service.due == report.next_due && !service.reasons.empty())
      return fmt::format("next step due {} ({}: {})", formatInstant(*report.next_due),
                         service.service, service.reasons.front());
  return "next step due " + formatInstant(*report.next_due);
}

Result<int> runCommand(CommandKind kind, const RolloverCommandOptions& options) {
  const GlobalOptions& global = globalOptions();
  RunEventsSink events(global, options.json);
  auto setup = loadSetup(options, events);
  if (!setup) return fail(std::move(setup.error()));
  const config::Config& config = setup->config;

  const fs::path state_dir = stateDirectoryOf(options.state_dir, config);
  std::optional<adapters::files::LockFile> lock;
  if (kind == CommandKind::Run) {
    auto claimed = claimStateDirectory(state_dir);
    if (!claimed) return fail(std::move(claimed.error()));
    lock.emplace(std::move(*claimed));
  }

  RunWiringOptions wiring_options;
  wiring_options.authority_port = options.authority_port;
  if (setup->argv_secret)
    wiring_options.secret_overrides.emplace(std::string(app::kDanebotServiceName),
                                            std::move(*setup->argv_secret));
  RunWiring wiring(config, state_dir, lazyStateStore(state_dir), events, std::move(wiring_options));

  app::RunOptions run_options;
  run_options.mode = kind == CommandKind::Run ? app::RunMode::Execute : app::RunMode::DryRun;
  run_options.wait = options.wait;
  run_options.services = options.services;
  if (options.cache_factor_option != nullptr && options.cache_factor_option->count() > 0)
    run_options.overrides.cache_factor = options.cache_factor;
  if (options.margin_option != nullptr && options.margin_option->count() > 0)
    run_options.overrides.margin = std::chrono::seconds(options.margin_seconds);
  if (options.poll_option != nullptr && options.poll_option->count() > 0)
    run_options.overrides.poll_interval = std::chrono::seconds(options.poll_seconds);

  auto report = app::runRollover(config, wiring.ports(), run_options);
  if (!report) return fail(std::move(report.error()));

  if (options.json) {
    fmt::print("{}\n", reportJson(*report, events).dump(2));
  } else if (kind == CommandKind::Status) {
    for (const app::ServiceReport& service : report->services)
      fmt::print("{}\n", statusLine(service));
  } else if (kind == CommandKind::Plan) {
    if (report->actions_done == 0) fmt::print("nothing to do now\n");
    for (const app::ServiceReport& service : report->services) {
      if (!service.planned) continue;  // its error follows on stderr
      for (const std::string& reason : service.reasons)
        fmt::print("{}: {}: {}\n", service.service, phaseName(service.phase), reason);
    }
    if (!report->failure || report->next_due) fmt::print("{}\n", nextDueLine(*report));
  } else if ((report->actions_done > 0 || global.verbose > 0) &&
             (!report->failure || report->next_due)) {
    fmt::print("{}\n", nextDueLine(*report));
  }
  std::fflush(stdout);

  if (!report->failure) return 0;
  // Every error through the sink, so --log-format json stays one object per line.
  for (const app::ServiceReport& service : report->services)
    if (service.error) events.log(app::LogLevel::Error, service.service, service.error->message);
  return finishWithFailure(*report, events);
}

CommandAction registerRolloverCommand(CLI::App& parent, CommandKind kind, const char* name,
                                      const char* description) {
  auto options = std::make_shared<RolloverCommandOptions>();
  CLI::App* command = parent.add_subcommand(name, description);
  // -v, -q and --log-format may also follow the subcommand. Registered again rather than by
  // fallthrough: that would let the root's DaneBot flags slip into every subcommand unnoticed.
  registerGlobalOptions(*command);
  addCommonOptions(*command, *options, kind);
  return [kind, options]() { return runCommand(kind, *options); };
}

}  // namespace

CommandAction registerRunCommand(CLI::App& parent) {
  return registerRolloverCommand(
      parent, CommandKind::Run, "run",
      "Do what is due now for every service (publish, deploy, retire) and say when to run again");
}

CommandAction registerPlanCommand(CLI::App& parent) {
  return registerRolloverCommand(parent, CommandKind::Plan, "plan",
                                 "Show what `run` would do now; changes nothing");
}

CommandAction registerStatusCommand(CLI::App& parent) {
  return registerRolloverCommand(
      parent, CommandKind::Status, "status",
      "One line per service: deployed and candidate certificate, phase, next step, records");
}

RootInvocation registerRootInvocation(CLI::App& root) {
  auto options = std::make_shared<RolloverCommandOptions>();
  addCommonOptions(root, *options, CommandKind::Run);
  RootInvocation invocation;
  invocation.requested = [options]() { return danebotOptions(*options).any(); };
  invocation.action = [options]() { return runCommand(CommandKind::Run, *options); };
  return invocation;
}

}  // namespace daneguard::cli
