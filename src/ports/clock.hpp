// Port: wall-clock time and sleeping. The app never reads the system clock itself, so tests
// and `run --wait` under a fake clock cover hours of rollover in microseconds.
#pragma once

#include <chrono>

namespace daneguard::ports {

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual std::chrono::sys_seconds now() = 0;
  virtual void sleepFor(std::chrono::seconds duration) = 0;
  /// Returns at once when `instant` is not in the future.
  virtual void sleepUntil(std::chrono::sys_seconds instant) = 0;
  /// For polls that observe: wakes in the last moments before the whole second `instant` (or
  /// before the next whole second still ahead). now() rounds down and the planner dates full
  /// visibility at the end of the observed second, so an observation made just before a second
  /// boundary loses almost nothing to rounding. A clock without sub-second resolution wakes at
  /// `instant`.
  virtual void sleepUntilJustBefore(std::chrono::sys_seconds instant) = 0;
};

}  // namespace daneguard::ports
