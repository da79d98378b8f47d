// `daneguard certbot-hook`: the command operators put in certbot's --deploy-hook. certbot runs
// it once per renewed lineage with RENEWED_LINEAGE=/etc/letsencrypt/live/NAME; it publishes the
// new certificate's records at once (and deploys only what is already safe, e.g. a renewal that
// kept its key), so the cache window is dated from the renewal, and returns within seconds. The
// scheduled `daneguard run` finishes the rollover. certbot shows a hook's stdout as "ran with
// output" and logs its stderr as a warning ("ran with error output"), so progress goes to
// stdout and only warnings and errors to stderr; a failing hook does not fail the renewal.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <system_error>

#include "adapters/config_toml/config_toml.hpp"
#include "app/certbot_hook.hpp"
#include "app/rollover_runner.hpp"
#include "cli/command.hpp"
#include "cli/global_options.hpp"
#include "cli/run_events_sink.hpp"
#include "cli/run_wiring.hpp"
#include "cli/state_store_factory.hpp"
#include "core/rollover/rollover_planner.hpp"

namespace daneguard::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultConfigPath = "/etc/daneguard/daneguard.toml";
constexpr auto kLockPatience = std::chrono::seconds(10);

struct CertbotHookOptions {
  std::string config_path = kDefaultConfigPath;
  std::string state_dir;
  std::string lineage;
  long visibility_seconds = 30;
  long poll_seconds = 0;
  CLI::Option* poll_option = nullptr;
  std::uint16_t authority_port = 53;
};

std::string normalizedPath(std::string_view path) {
  std::error_code error;
  const fs::path absolute = fs::absolute(fs::path(path), error);
  if (error) return fs::path(path).lexically_normal().string();
  const fs::path resolved = fs::weakly_canonical(absolute, error);
  return (error ? absolute.lexically_normal() : resolved).string();
}

std::string renewedDomains() {
  const char* domains = std::getenv("RENEWED_DOMAINS");
  return domains == nullptr || *domains == '\0' ? std::string("-") : std::string(domains);
}

Result<int> runCertbotHook(const CertbotHookOptions& options) {
  const GlobalOptions& global = globalOptions();
  RunEventsSink events(global, false);
  if (options.lineage.empty())
    return fail(ErrorKind::Usage,
                "certbot-hook needs the renewed lineage: certbot sets RENEWED_LINEAGE for "
                "--deploy-hook commands; elsewhere pass --lineage DIRECTORY-OR-FILE");
  auto config = adapters::config_toml::loadConfigFile(options.config_path);
  if (!config) return fail(std::move(config.error()));

  app::RunOptions run_options;
  run_options.services = app::servicesForLineage(*config, options.lineage, normalizedPath);
  if (run_options.services.empty()) {
    // Not an error: certbot may manage certificates daneguard has nothing to do with.
    fmt::print(
        "certbot-hook: no service in {} takes its certificate from {} (renewed domains: "
        "{}); nothing to do\n",
        options.config_path, options.lineage, renewedDomains());
    return 0;
  }
  fmt::print("certbot-hook: {} renewed; publishing for service(s) {}\n", options.lineage,
             fmt::join(run_options.services, ", "));
  std::fflush(stdout);

  const fs::path state_dir = stateDirectoryOf(options.state_dir, *config);
  // A plain `run` (cron, timer) holds the lock for a second or two; a `run --wait` for hours,
  // and that run observes the new certificate itself.
  auto lock = claimStateDirectory(state_dir, kLockPatience);
  if (!lock && lock.error().kind == ErrorKind::Transient) {
    events.log(app::LogLevel::Warning, "",
               lock.error().message +
                   "; not publishing from the hook: the running daneguard loads the renewed "
                   "certificate at its next step");
    return 0;
  }
  if (!lock) return fail(std::move(lock.error()));
  auto store = openStateStore(state_dir);
  if (!store) return fail(std::move(store.error()));

  RunWiringOptions wiring_options;
  wiring_options.authority_port = options.authority_port;
  RunWiring wiring(*config, state_dir, std::move(*store), events, std::move(wiring_options));

  run_options.mode = app::RunMode::Execute;
  run_options.publish_only = true;
  run_options.visibility_budget = std::chrono::seconds(options.visibility_seconds);
  if (options.poll_option->count() > 0)
    run_options.overrides.poll_interval = std::chrono::seconds(options.poll_seconds);

  auto report = app::runRollover(*config, wiring.ports(), run_options);
  if (!report) return fail(std::move(report.error()));
  for (const app::ServiceReport& service : report->services) {
    if (service.error) {
      events.log(app::LogLevel::Error, service.service, service.error->message);
      continue;
    }
    fmt::print("{}: {}{}\n", service.service, phaseName(service.phase),
               service.reasons.empty() ? std::string() : ": " + service.reasons.front());
  }
  if (report->next_due)
    fmt::print("the scheduled `daneguard run` finishes the rollover (next step due {})\n",
               formatInstant(*report->next_due));
  std::fflush(stdout);
  return finishWithFailure(*report, events);
}

}  // namespace

CommandAction registerCertbotHookCommand(CLI::App& parent) {
  auto options = std::make_shared<CertbotHookOptions>();
  CLI::App* command = parent.add_subcommand(
      "certbot-hook",
      "certbot --deploy-hook: publish a renewed lineage's records now; `run` finishes later");
  registerGlobalOptions(*command);
  command->add_option("-c,--config", options->config_path, "configuration file")
      ->capture_default_str()
      ->envname("DANEGUARD_CONFIG");
  command
      ->add_option("--state-dir", options->state_dir,
                   "state directory [$DANEGUARD_STATE_DIR, else the config's state_dir]")
      ->envname("DANEGUARD_STATE_DIR");
  command
      ->add_option("--lineage", options->lineage,
                   "renewed certificate: certbot live/ directory, or another client's directory "
                   "or PEM file [$RENEWED_LINEAGE]")
      ->envname("RENEWED_LINEAGE");
  command
      ->add_option("--visibility-timeout", options->visibility_seconds,
                   "longest wait, in seconds, for every authoritative server to serve the new "
                   "records (dates the cache window from now)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  options->poll_option =
      command
          ->add_option("--poll-interval", options->poll_seconds,
                       "seconds between checks while waiting for servers (overrides config)")
          ->check(CLI::PositiveNumber);
  command
      ->add_option("--authority-port", options->authority_port,
                   "port for NS addresses (tests only; 53 in production)")
      ->group("");
  return [options]() { return runCertbotHook(*options); };
}

}  // namespace daneguard::cli
