// The Cloudflare publisher against fake_cloudflare.py (HTTPS with a test CA, the documented
// API v4 shapes): exact creations and deletions by record id across several result pages,
// records of others untouched, idempotence, 429/Retry-After and 5xx retries, token errors
// surfaced with Cloudflare's codes, and TLS verification that cannot be skipped.
#include "adapters/publishers/cloudflare_publisher.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/tlsa/tlsa_presentation.hpp"
#include "integration/publishers_api/https_fake.hpp"

namespace daneguard::testing {
namespace {

using adapters::publishers::ApiPublisherDependencies;
using adapters::publishers::makeCloudflareUpdater;
using nlohmann::json;

const std::string kToken = "cf-write-token-0123456789abcdefghijklmn";
const std::string kReadOnlyToken = "cf-read-only-token-0123456789abcdefghij";
const std::string kOwner = "_25._tcp.mail.example.test.";
const std::string kName = "_25._tcp.mail.example.test";
const std::string kRecordA = "3 1 1 " + std::string(64, 'a');
const std::string kRecordB = "3 1 1 " + std::string(64, 'b');

std::string foreign(int index) {
  char hex[65];
  std::snprintf(hex, sizeof hex, "%064x", 0xf000 + index);
  return std::string("3 1 1 ") + hex;
}

class CloudflarePublisher : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = HttpsFake::unavailableReason()) GTEST_SKIP() << *reason;
    fake_.emplace("fake_cloudflare.py",
                  std::vector<std::string>{"--zone", "example.test", "--token", kToken,
                                           "--read-only-token", kReadOnlyToken});
  }

  config::CloudflarePublisher publisher(const std::string& token, bool with_ca = true) {
    config::CloudflarePublisher cloudflare;
    cloudflare.api_url = fake_->baseUrl() + "/client/v4";
    cloudflare.token = config::ApiTokenFile{fake_->tokenFile(token).string()};
    cloudflare.common.dns.dns_server = config::ServerAddress{"127.0.0.1", 53};
    if (with_ca) cloudflare.common.ca_file = fake_->caFile().string();
    return cloudflare;
  }

  std::unique_ptr<ports::DnsUpdate> updater(const std::string& token = kToken) {
    ApiPublisherDependencies dependencies;
    dependencies.clock = &clock_;
    dependencies.warn = [this](const std::string& line) { warnings_.push_back(line); };
    auto made = makeCloudflareUpdater(publisher(token), "cf", std::move(dependencies));
    if (!made) throw std::runtime_error(made.error().message);
    return std::move(*made);
  }

  static ports::UpdateRequest request(const std::vector<std::string>& additions,
                                      const std::vector<std::string>& deletions) {
    ports::UpdateRequest update;
    update.zone = "example.test.";
    update.ttl_seconds = 300;
    for (const auto& text : additions)
      update.additions.push_back({kOwner, parseTlsaRdata(text).value()});
    for (const auto& text : deletions)
      update.deletions.push_back({kOwner, parseTlsaRdata(text).value()});
    return update;
  }

  json records() {
    const auto [status, body] = fake_->control("GET", "/_fake/records");
    EXPECT_EQ(status, 200) << body;
    return json::parse(body);
  }
  std::multiset<std::string> contents() {
    std::multiset<std::string> out;
    for (const json& record : records())
      out.insert(record["content"].get<std::string>());
    return out;
  }
  json requestLog() { return json::parse(fake_->control("GET", "/_fake/log").second); }

  std::optional<HttpsFake> fake_;
  RecordingClock clock_;
  std::vector<std::string> warnings_;
};

TEST_F(CloudflarePublisher, CreatesAndDeletesExactlyItsRecordsAcrossResultPages) {
  json seed = json::array();
  std::multiset<std::string> foreign_records;
  for (int i = 0; i < 205; ++i) {  // three pages of 100
    seed.push_back({{"name", kName}, {"content", foreign(i)}, {"ttl", 600}});
    foreign_records.insert(foreign(i));
  }
  seed.push_back({{"name", "_443._tcp.mail.example.test"}, {"content", kRecordA}});
  ASSERT_EQ(fake_->control("POST", "/_fake/seed", seed.dump()).first, 200);
  std::set<std::string> foreign_ids;
  for (const json& record : records())
    foreign_ids.insert(record["id"].get<std::string>());

  auto cloudflare = updater();
  const auto added = cloudflare->apply(request({kRecordA, kRecordB}, {}));
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->added, 2u);
  std::multiset<std::string> expected = foreign_records;
  expected.insert({kRecordA, kRecordB, kRecordA});  // the second A is at _443
  EXPECT_EQ(contents(), expected);
  for (const json& record : records()) {
    if (foreign_ids.count(record["id"].get<std::string>()) != 0) continue;
    EXPECT_EQ(record["name"], kName);
    EXPECT_EQ(record["ttl"], 300);
    EXPECT_EQ(record["data"]["usage"], 3);
    EXPECT_EQ(record["data"]["selector"], 1);
    EXPECT_EQ(record["data"]["matching_type"], 1);
  }
  std::set<std::string> pages;
  for (const json& entry : requestLog())
    if (entry["method"] == "GET" && entry["path"].get<std::string>().ends_with("/dns_records")) {
      EXPECT_EQ(entry["query"]["name"], kName);
      EXPECT_EQ(entry["query"]["type"], "TLSA");
      EXPECT_EQ(entry["authorization"], "Bearer " + kToken);
      pages.insert(entry["query"]["page"].get<std::string>());
    }
  EXPECT_EQ(pages, (std::set<std::string>{"1", "2", "3"})) << "every result page must be read";

  const std::size_t logged_before = requestLog().size();
  const auto again = cloudflare->apply(request({kRecordA, kRecordB}, {}));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->added, 0u);
  const json log = requestLog();
  for (std::size_t i = logged_before; i < log.size(); ++i)
    EXPECT_EQ(log[i]["method"], "GET") << "nothing to do must write nothing";

  const auto deleted = cloudflare->apply(request({}, {kRecordA}));
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(deleted->deleted, 1u);
  expected.erase(expected.find(kRecordA));
  EXPECT_EQ(contents(), expected) << "only our record at the owner may go, not A at _443";
  std::set<std::string> remaining_ids;
  for (const json& record : records())
    remaining_ids.insert(record["id"].get<std::string>());
  for (const std::string& id : foreign_ids)
    EXPECT_EQ(remaining_ids.count(id), 1u) << "foreign record " << id << " was touched";
}

TEST_F(CloudflarePublisher, WaitsForRetryAfterOn429AndBacksOffOn5xx) {
  ASSERT_EQ(
      fake_->control("POST", "/_fake/fail", R"({"count":2,"status":429,"retry_after":7})").first,
      200);
  ASSERT_EQ(fake_->control("POST", "/_fake/fail", R"({"count":1,"status":503})").first, 200);
  auto cloudflare = updater();
  const auto added = cloudflare->apply(request({kRecordA}, {}));
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(contents(), (std::multiset<std::string>{kRecordA}));
  using std::chrono::seconds;
  EXPECT_EQ(clock_.sleeps, (std::vector<seconds>{seconds(7), seconds(7), seconds(1)}));
  ASSERT_EQ(warnings_.size(), 3u);
  EXPECT_NE(warnings_[0].find("429"), std::string::npos) << warnings_[0];
}

// A create whose reply is lost after Cloudflare stored the record is retried; the retry meets
// 81058 "identical record exists", which means done, and exactly one record results.
TEST_F(CloudflarePublisher, ARetriedCreateWhoseFirstReplyWasLostCountsAsDone) {
  ASSERT_EQ(fake_
                ->control("POST", "/_fake/fail",
                          R"({"count":1,"status":502,"method":"POST","after":true})")
                .first,
            200);
  auto cloudflare = updater();
  const auto added = cloudflare->apply(request({kRecordA}, {}));
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(contents(), (std::multiset<std::string>{kRecordA}));
  int posts = 0;
  for (const json& entry : requestLog())
    posts += entry["method"] == "POST" ? 1 : 0;
  EXPECT_EQ(posts, 2) << "the create must have been sent again after the 502";
}

TEST_F(CloudflarePublisher, GivesUpAfterTheRetriesAndSurfacesTheLast429) {
  ASSERT_EQ(
      fake_->control("POST", "/_fake/fail", R"({"count":20,"status":429,"retry_after":1})").first,
      200);
  auto cloudflare = updater();
  const auto result = cloudflare->apply(request({kRecordA}, {}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::Transient);
  EXPECT_NE(result.error().message.find("HTTP 429"), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find("code 971"), std::string::npos) << result.error().message;
  EXPECT_EQ(clock_.sleeps.size(), 5u) << "6 attempts, 5 waits";
}

TEST_F(CloudflarePublisher, ATokenWithoutWriteAccessIsAnAuthFailureWithCloudflaresReason) {
  auto cloudflare = updater(kReadOnlyToken);
  const auto result = cloudflare->apply(request({kRecordA}, {}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::AuthFailure);
  const std::string& message = result.error().message;
  EXPECT_NE(message.find("cloudflare publisher 'cf', zone example.test."), std::string::npos)
      << message;
  EXPECT_NE(message.find("HTTP 403: code 10000: Authentication error"), std::string::npos)
      << message;
  EXPECT_EQ(message.find(kReadOnlyToken), std::string::npos);
  EXPECT_TRUE(contents().empty());

  auto wrong = updater("not-a-valid-token-at-all-0123456789abcd");
  const auto refused = wrong->apply(request({kRecordA}, {}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::AuthFailure);
  EXPECT_NE(refused.error().message.find("code 9109: Invalid access token"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(refused.error().message.find("not-a-valid-token"), std::string::npos);
}

TEST_F(CloudflarePublisher, APrerequisiteThatNoLongerHoldsWritesNothing) {
  ASSERT_EQ(
      fake_->control("POST", "/_fake/seed", json{{"name", kName}, {"content", kRecordB}}.dump())
          .first,
      200);
  auto cloudflare = updater();
  ports::UpdateRequest guarded = request({kRecordA}, {});
  guarded.prerequisites.push_back({ports::UpdatePrerequisite::Kind::TlsaRrsetAbsent, kOwner, {}});
  const auto result = cloudflare->apply(guarded);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::PreconditionFailed) << result.error().message;
  EXPECT_EQ(contents(), (std::multiset<std::string>{kRecordB}));
}

TEST_F(CloudflarePublisher, TlsVerificationCannotBeSkipped) {
  ApiPublisherDependencies dependencies;
  dependencies.clock = &clock_;
  dependencies.warn = [](const std::string&) {};
  auto made =
      makeCloudflareUpdater(publisher(kToken, /*with_ca=*/false), "cf", std::move(dependencies));
  ASSERT_TRUE(made);
  const auto result = (*made)->apply(request({kRecordA}, {}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::VerificationFailed) << result.error().message;
  EXPECT_NE(result.error().message.find("ca_file"), std::string::npos) << result.error().message;
  EXPECT_TRUE(contents().empty());
}

}  // namespace
}  // namespace daneguard::testing
