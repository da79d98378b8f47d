// Output of the rollover commands (see the header).
#include "cli/run_events_sink.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace daneguard::cli {

GlobalOptions& globalOptions() {
  static GlobalOptions options;
  return options;
}

void registerGlobalOptions(CLI::App& root) {  // or a subcommand
  GlobalOptions& options = globalOptions();
  root.add_flag("-v,--verbose", options.verbose,
                "more detail on stderr; `run` also reports when nothing happened");
  root.add_flag("-q,--quiet", options.quiet, "only errors on stderr");
  root.add_option("--log-format", options.log_format, "messages on stderr: text or json")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, LogFormat>{{"text", LogFormat::Text}, {"json", LogFormat::Json}},
          CLI::ignore_case));
}

std::string formatRemaining(std::chrono::seconds remaining) {
  const auto total = remaining.count() < 0 ? 0 : remaining.count();
  const auto hours = total / 3600;
  const auto minutes = (total % 3600) / 60;
  const auto seconds = total % 60;
  if (hours > 0) return fmt::format("{}h{:02}m{:02}s", hours, minutes, seconds);
  if (minutes > 0) return fmt::format("{}m{:02}s", minutes, seconds);
  return fmt::format("{}s", seconds);
}

RunEventsSink::RunEventsSink(const GlobalOptions& options, bool collect_actions)
    : options_(options),
      collect_(collect_actions),
      live_(isatty(STDERR_FILENO) == 1 && options.log_format == LogFormat::Text && !options.quiet) {
}

void RunEventsSink::action(std::string_view service, std::string_view line) {
  if (collect_) {
    actions_.push_back({std::string(service), std::string(line)});
    return;
  }
  waitFinished();
  fmt::print("{}\n", line);
  std::fflush(stdout);
}

void RunEventsSink::log(app::LogLevel level, std::string_view service, std::string_view message) {
  if (options_.quiet && level != app::LogLevel::Error) return;
  if (level == app::LogLevel::Debug && options_.verbose == 0) return;
  waitFinished();
  if (options_.log_format == LogFormat::Json) {
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    nlohmann::json line{{"time", fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", now)},
                        {"level", app::logLevelName(level)},
                        {"service", service},
                        {"message", message}};
    fmt::print(stderr, "{}\n", line.dump());
  } else if (service.empty()) {
    fmt::print(stderr, "daneguard: {}: {}\n", app::logLevelName(level), message);
  } else {
    fmt::print(stderr, "daneguard: {}: [{}] {}\n", app::logLevelName(level), service, message);
  }
  std::fflush(stderr);
}

void RunEventsSink::waitTick(std::chrono::seconds remaining, std::string_view what) {
  // \r and "erase line" rewrite one line in place; the text is cut so it never wraps.
  std::string text = fmt::format("waiting {}: {}", formatRemaining(remaining), what);
  if (text.size() > 150) text = text.substr(0, 147) + "...";
  fmt::print(stderr, "\r\033[K{}", text);
  std::fflush(stderr);
  progress_shown_ = true;
}

void RunEventsSink::waitFinished() {
  if (!progress_shown_) return;
  fmt::print(stderr, "\r\033[K");
  std::fflush(stderr);
  progress_shown_ = false;
}

}  // namespace daneguard::cli
