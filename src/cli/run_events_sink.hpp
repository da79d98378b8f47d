// The CLI's RunEvents: action lines to stdout (cron mails them), leveled messages to stderr as
// text ("daneguard: warning: [mail] ...") or one JSON object per line (time, level, service,
// message), and a live countdown line while `run --wait` sleeps on a terminal.
#pragma once

#include <string>
#include <vector>

#include "app/run_events.hpp"
#include "cli/global_options.hpp"

namespace daneguard::cli {

class RunEventsSink final : public app::RunEvents {
 public:
  /// `collect_actions`: keep action lines for a JSON document instead of printing them.
  RunEventsSink(const GlobalOptions& options, bool collect_actions);

  void action(std::string_view service, std::string_view line) override;
  void log(app::LogLevel level, std::string_view service, std::string_view message) override;
  [[nodiscard]] bool wantsWaitTicks() const override { return live_; }
  void waitTick(std::chrono::seconds remaining, std::string_view what) override;
  void waitFinished() override;

  struct ActionLine {
    std::string service;
    std::string line;
  };
  [[nodiscard]] const std::vector<ActionLine>& actions() const { return actions_; }

 private:
  GlobalOptions options_;
  bool collect_;
  bool live_;
  bool progress_shown_ = false;
  std::vector<ActionLine> actions_;
};

/// "1h02m03s", "4m05s", "9s".
std::string formatRemaining(std::chrono::seconds remaining);

}  // namespace daneguard::cli
