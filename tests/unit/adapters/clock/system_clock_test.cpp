#include "adapters/clock/system_clock.hpp"

#include <gtest/gtest.h>

namespace daneguard::adapters::clock {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_seconds;
using TimePoint = std::chrono::system_clock::time_point;

const sys_seconds kSecond{std::chrono::seconds(1'800'000'000)};

TEST(SystemClock, JustBeforeAimsAtTheEndOfThePrecedingSecond) {
  EXPECT_EQ(SystemClock::justBefore(kSecond, TimePoint(kSecond - 2s)), TimePoint(kSecond - 100ms));
}

TEST(SystemClock, JustBeforeMovesToTheNextSecondOnceThatMomentHasPassed) {
  // Woken at k - 100 ms, observed, and asked again for k: the next poll is just before k + 1.
  EXPECT_EQ(SystemClock::justBefore(kSecond, TimePoint(kSecond - 50ms)),
            TimePoint(kSecond + 900ms));
  EXPECT_EQ(SystemClock::justBefore(kSecond, TimePoint(kSecond + 3s)), TimePoint(kSecond + 3900ms));
}

TEST(SystemClock, NowRoundsDown) {
  SystemClock clock;
  const sys_seconds now = clock.now();
  EXPECT_LE(TimePoint(now), std::chrono::system_clock::now());
  EXPECT_GT(TimePoint(now) + 1s, std::chrono::system_clock::now());
}

}  // namespace
}  // namespace daneguard::adapters::clock
