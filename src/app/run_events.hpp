// How the rollover runner tells the operator what happens: action lines (what changed, for
// stdout and cron mail), leveled log messages (stderr, text or JSON) and the remaining wait of
// `run --wait`. The CLI decides the format; the app only says what.
#pragma once

#include <chrono>
#include <string_view>

namespace daneguard::app {

enum class LogLevel { Debug, Info, Warning, Error };

/// "debug", "info", "warning", "error".
std::string_view logLevelName(LogLevel level);

class RunEvents {
 public:
  virtual ~RunEvents() = default;
  /// Something changed (or, in a dry run, would change): one line, no trailing newline.
  virtual void action(std::string_view service, std::string_view line) = 0;
  virtual void log(LogLevel level, std::string_view service, std::string_view message) = 0;
  /// True when the sink shows a live countdown: the runner then sleeps in short steps.
  [[nodiscard]] virtual bool wantsWaitTicks() const { return false; }
  virtual void waitTick(std::chrono::seconds /*remaining*/, std::string_view /*what*/) {}
  virtual void waitFinished() {}
};

}  // namespace daneguard::app
