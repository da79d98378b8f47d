// The Clock port over the system's wall clock (std::chrono::system_clock) and thread sleeps.
#pragma once

#include "ports/clock.hpp"

namespace daneguard::adapters::clock {

class SystemClock final : public ports::Clock {
 public:
  std::chrono::sys_seconds now() override;
  void sleepFor(std::chrono::seconds duration) override;
  void sleepUntil(std::chrono::sys_seconds instant) override;
  void sleepUntilJustBefore(std::chrono::sys_seconds instant) override;

  /// The wake-up instant sleepUntilJustBefore aims at: `lead` before a whole second, the first
  /// such moment at or after `instant - lead` that is still after `real_now`.
  static std::chrono::system_clock::time_point justBefore(
      std::chrono::sys_seconds instant, std::chrono::system_clock::time_point real_now);
};

}  // namespace daneguard::adapters::clock
