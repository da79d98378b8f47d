// The Clock port over the system's wall clock (std::chrono::system_clock) and thread sleeps.
#pragma once

#include "ports/clock.hpp"

namespace daneguard::adapters::clock {

class SystemClock final : public ports::Clock {
 public:
  std::chrono::sys_seconds now() override;
  void sleepFor(std::chrono::seconds duration) override;
  void sleepUntil(std::chrono::sys_seconds instant) override;
};

}  // namespace daneguard::adapters::clock
