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

std::chrono::system_clock::time_point SystemClock::justBefore(
    std::chrono::sys_seconds instant, std::chrono::system_clock::time_point real_now) {
  // 100 ms leaves room for scheduling delay and the DNS round trips of one observation, which
  // must finish before the second ends for the rounding to cost nothing.
  constexpr auto kLead = std::chrono::milliseconds(100);
  std::chrono::system_clock::time_point target = instant - kLead;
  while (target <= real_now)
    target += std::chrono::seconds(1);
  return target;
}

void SystemClock::sleepUntilJustBefore(std::chrono::sys_seconds instant) {
  std::this_thread::sleep_until(justBefore(instant, std::chrono::system_clock::now()));
}

void SystemClock::sleepUntil(std::chrono::sys_seconds instant) {
  // sleep_until on system_clock follows wall-clock jumps (NTP steps), which is what a due
  // instant computed from wall-clock observations means.
  std::this_thread::sleep_until(instant);
}

}  // namespace daneguard::adapters::clock
