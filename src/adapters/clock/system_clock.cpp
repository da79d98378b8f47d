// System clock adapter (see the header).
#include "adapters/clock/system_clock.hpp"

#include <thread>

namespace daneguard::adapters::clock {

std::chrono::sys_seconds SystemClock::now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

void SystemClock::sleepFor(std::chrono::seconds duration) {
  if (duration.count() > 0) std::this_thread::sleep_for(duration);
}

void SystemClock::sleepUntil(std::chrono::sys_seconds instant) {
  // sleep_until on system_clock follows wall-clock jumps (NTP steps), which is what a due
  // instant computed from wall-clock observations means.
  std::this_thread::sleep_until(instant);
}

}  // namespace daneguard::adapters::clock
