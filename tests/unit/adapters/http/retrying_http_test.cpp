// The one retry policy of the provider APIs, with a scripted HttpClient and a clock that only
// records sleeps: which answers are retried, how long it waits, and when it gives up.
#include "adapters/http/retrying_http.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace daneguard::adapters::http {
namespace {

using std::chrono::seconds;

class ScriptedClient final : public ports::HttpClient {
 public:
  std::deque<Result<ports::HttpResponse>> answers;
  int sent = 0;
  Result<ports::HttpResponse> send(const ports::HttpRequest& /*request*/) override {
    ++sent;
    if (answers.empty()) return ports::HttpResponse{200, {}, "{}"};
    auto answer = std::move(answers.front());
    answers.pop_front();
    return answer;
  }
};

class FakeClock final : public ports::Clock {
 public:
  std::chrono::sys_seconds now() override { return now_; }
  void sleepFor(seconds duration) override {
    sleeps.push_back(duration);
    now_ += duration;
  }
  void sleepUntil(std::chrono::sys_seconds instant) override { now_ = std::max(now_, instant); }
  void sleepUntilJustBefore(std::chrono::sys_seconds instant) override { sleepUntil(instant); }
  std::vector<seconds> sleeps;

 private:
  std::chrono::sys_seconds now_{seconds(1'700'000'000)};  // 2023-11-14T22:13:20Z
};

ports::HttpResponse status(long code, std::vector<ports::HttpHeader> headers = {}) {
  return ports::HttpResponse{code, std::move(headers), "{}"};
}

ports::HttpRequest get() {
  ports::HttpRequest request;
  request.url = "https://api.example/x";
  return request;
}

TEST(RetryAfter, ReadsSecondsAndHttpDates) {
  const std::chrono::sys_seconds now{seconds(1'700'000'000)};  // Tue, 14 Nov 2023 22:13:20 GMT
  EXPECT_EQ(parseRetryAfter(std::string("120"), now), seconds(120));
  EXPECT_EQ(parseRetryAfter(std::string("0"), now), seconds(0));
  EXPECT_EQ(parseRetryAfter(std::string("Tue, 14 Nov 2023 22:13:50 GMT"), now), seconds(30));
  EXPECT_EQ(parseRetryAfter(std::string("Tue, 14 Nov 2023 22:00:00 GMT"), now), seconds(0))
      << "a date in the past means now";
  EXPECT_EQ(parseRetryAfter(std::nullopt, now), std::nullopt);
  EXPECT_EQ(parseRetryAfter(std::string("soon"), now), std::nullopt);
}

TEST(SendWithRetries, A429WaitsForRetryAfterThenSucceeds) {
  ScriptedClient client;
  client.answers.push_back(status(429, {{"retry-after", "5"}}));
  client.answers.push_back(status(200));
  FakeClock clock;
  std::vector<std::string> notices;
  auto response = sendWithRetries(client, get(), clock, RetryPolicy{},
                                  [&](const std::string& line) { notices.push_back(line); });
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(clock.sleeps, std::vector<seconds>{seconds(5)});
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("retrying in 5 s"), std::string::npos) << notices[0];
}

TEST(SendWithRetries, ServerErrorsAndLostExchangesBackOffExponentiallyUpToTheCap) {
  ScriptedClient client;
  for (int i = 0; i < 3; ++i)
    client.answers.push_back(status(503));
  client.answers.push_back(fail(ErrorKind::Transient, "connection refused"));
  client.answers.push_back(status(502));
  client.answers.push_back(status(200));
  FakeClock clock;
  RetryPolicy policy;
  policy.max_backoff = seconds(4);
  auto response = sendWithRetries(client, get(), clock, policy);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(clock.sleeps,
            (std::vector<seconds>{seconds(1), seconds(2), seconds(4), seconds(4), seconds(4)}));
}

TEST(SendWithRetries, ClientErrorsAreNotRetried) {
  for (const long code : {400L, 401L, 403L, 404L, 422L}) {
    ScriptedClient client;
    client.answers.push_back(status(code));
    FakeClock clock;
    auto response = sendWithRetries(client, get(), clock, RetryPolicy{});
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, code);
    EXPECT_EQ(client.sent, 1);
    EXPECT_TRUE(clock.sleeps.empty());
  }
}

TEST(SendWithRetries, ConfigurationErrorsAreNotRetried) {
  ScriptedClient client;
  client.answers.push_back(fail(ErrorKind::VerificationFailed, "certificate verify failed"));
  FakeClock clock;
  auto response = sendWithRetries(client, get(), clock, RetryPolicy{});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, ErrorKind::VerificationFailed);
  EXPECT_EQ(client.sent, 1);
}

TEST(SendWithRetries, GivesUpAfterMaxAttemptsAndReturnsTheLastAnswer) {
  ScriptedClient client;
  for (int i = 0; i < 10; ++i)
    client.answers.push_back(status(500));
  FakeClock clock;
  RetryPolicy policy;
  policy.max_attempts = 3;
  auto response = sendWithRetries(client, get(), clock, policy);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(client.sent, 3);
  EXPECT_EQ(clock.sleeps.size(), 2u);
}

TEST(SendWithRetries, NeverSleepsBeyondTheTotalBudget) {
  ScriptedClient client;
  for (int i = 0; i < 10; ++i)
    client.answers.push_back(status(429, {{"Retry-After", "40"}}));
  FakeClock clock;
  RetryPolicy policy;
  policy.total_budget = seconds(100);
  auto response = sendWithRetries(client, get(), clock, policy);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 429);
  EXPECT_EQ(clock.sleeps, (std::vector<seconds>{seconds(40), seconds(40)}))
      << "a third wait would end at 120 s, past the 100 s budget";
}

TEST(SendWithRetries, ARetryAfterLongerThanTheLimitFailsAtOnce) {
  ScriptedClient client;
  client.answers.push_back(status(429, {{"Retry-After", "3600"}}));
  FakeClock clock;
  std::vector<std::string> notices;
  auto response = sendWithRetries(client, get(), clock, RetryPolicy{},
                                  [&](const std::string& line) { notices.push_back(line); });
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 429);
  EXPECT_TRUE(clock.sleeps.empty());
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("3600 s"), std::string::npos);
}

}  // namespace
}  // namespace daneguard::adapters::http
