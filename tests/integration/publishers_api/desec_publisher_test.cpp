// The deSEC publisher against fake_desec.py (HTTPS with a test CA, the documented RRset API):
// merges with records of others in the same RRset, one bulk PATCH per update, the domain's
// minimum TTL applied with a warning, the RRset removed when its last record goes, 429 with
// Retry-After honoured, and token errors surfaced with deSEC's own explanation.
#include "adapters/publishers/desec_publisher.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/tlsa/tlsa_presentation.hpp"
#include "integration/publishers_api/https_fake.hpp"

namespace daneguard::testing {
namespace {

using adapters::publishers::ApiPublisherDependencies;
using adapters::publishers::makeDesecUpdater;
using nlohmann::json;

const std::string kToken = "desec-write-token-0123456789abcdef";
const std::string kReadOnlyToken = "desec-read-only-token-0123456789ab";
const std::string kOwner = "_25._tcp.mail.example.test.";
const std::string kRecordA = "3 1 1 " + std::string(64, 'a');
const std::string kRecordB = "3 1 1 " + std::string(64, 'b');
const std::string kForeign = "3 1 1 " + std::string(64, 'f');

class DesecPublisher : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = HttpsFake::unavailableReason()) GTEST_SKIP() << *reason;
    fake_.emplace(
        "fake_desec.py",
        std::vector<std::string>{"--domain", "example.test", "--token", kToken, "--read-only-token",
                                 kReadOnlyToken, "--minimum-ttl", "3600"});
  }

  std::unique_ptr<ports::DnsUpdate> updater(const std::string& token = kToken) {
    config::DesecPublisher desec;
    desec.api_url = fake_->baseUrl() + "/api/v1";
    desec.token = config::ApiTokenFile{fake_->tokenFile(token).string()};
    desec.common.dns.dns_server = config::ServerAddress{"127.0.0.1", 53};
    desec.common.ca_file = fake_->caFile().string();
    ApiPublisherDependencies dependencies;
    dependencies.clock = &clock_;
    dependencies.warn = [this](const std::string& line) { warnings_.push_back(line); };
    auto made = makeDesecUpdater(desec, "desec-main", std::move(dependencies));
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

  /// The TLSA RRset at _25._tcp.mail as the fake holds it, or null.
  json rrset() {
    const auto [status, body] = fake_->control("GET", "/_fake/rrsets");
    EXPECT_EQ(status, 200) << body;
    for (const json& entry : json::parse(body))
      if (entry["subname"] == "_25._tcp.mail" && entry["type"] == "TLSA") return entry;
    return nullptr;
  }
  std::multiset<std::string> held() {
    std::multiset<std::string> out;
    const json entry = rrset();
    if (!entry.is_null())
      for (const json& record : entry["records"])
        out.insert(record.get<std::string>());
    return out;
  }
  std::size_t writes() {
    std::size_t count = 0;
    for (const json& entry : json::parse(fake_->control("GET", "/_fake/log").second))
      if (entry["method"] != "GET") ++count;
    return count;
  }

  std::optional<HttpsFake> fake_;
  RecordingClock clock_;
  std::vector<std::string> warnings_;
};

TEST_F(DesecPublisher, MergesWithForeignRecordsAndRaisesTheTtlToTheMinimum) {
  ASSERT_EQ(
      fake_
          ->control(
              "POST", "/_fake/seed",
              json{{"subname", "_25._tcp.mail"}, {"ttl", 7200}, {"records", {kForeign}}}.dump())
          .first,
      200);
  auto desec = updater();
  const auto added = desec->apply(request({kRecordA, kRecordB}, {}));
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->added, 2u);
  EXPECT_EQ(held(), (std::multiset<std::string>{kForeign, kRecordA, kRecordB}));
  EXPECT_EQ(rrset()["ttl"], 3600) << "300 s is below deSEC's minimum of 3600 s";
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("minimum TTL at deSEC is 3600 s"), std::string::npos) << warnings_[0];
  EXPECT_EQ(writes(), 1u) << "one bulk PATCH for the whole update";

  const auto again = desec->apply(request({kRecordA, kRecordB}, {}));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->added, 0u);
  EXPECT_EQ(writes(), 1u) << "nothing to do must write nothing";

  const auto deleted = desec->apply(request({}, {kRecordA, kRecordB}));
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(deleted->deleted, 2u);
  EXPECT_EQ(held(), (std::multiset<std::string>{kForeign}));
  EXPECT_EQ(rrset()["ttl"], 3600) << "a deletion keeps the RRset's TTL";
}

TEST_F(DesecPublisher, RemovingItsLastRecordDeletesTheRrset) {
  auto desec = updater();
  ASSERT_TRUE(desec->apply(request({kRecordA}, {})));
  EXPECT_EQ(held(), (std::multiset<std::string>{kRecordA}));
  const auto removed = desec->apply(request({}, {kRecordA}));
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_TRUE(rrset().is_null());
}

TEST_F(DesecPublisher, HonoursRetryAfterOn429) {
  ASSERT_EQ(
      fake_->control("POST", "/_fake/fail", R"({"count":1,"status":429,"retry_after":4})").first,
      200);
  auto desec = updater();
  const auto added = desec->apply(request({kRecordA}, {}));
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(held(), (std::multiset<std::string>{kRecordA}));
  EXPECT_EQ(clock_.sleeps, (std::vector<std::chrono::seconds>{std::chrono::seconds(4)}));
}

TEST_F(DesecPublisher, TokenErrorsCarryDesecsExplanation) {
  auto read_only = updater(kReadOnlyToken);
  const auto forbidden = read_only->apply(request({kRecordA}, {}));
  ASSERT_FALSE(forbidden);
  EXPECT_EQ(forbidden.error().kind, ErrorKind::AuthFailure);
  EXPECT_NE(forbidden.error().message.find("desec publisher 'desec-main', zone example.test."),
            std::string::npos)
      << forbidden.error().message;
  EXPECT_NE(forbidden.error().message.find(
                "HTTP 403: You do not have permission to perform this action."),
            std::string::npos)
      << forbidden.error().message;
  EXPECT_EQ(forbidden.error().message.find(kReadOnlyToken), std::string::npos);

  auto wrong = updater("wrong-token-0123456789abcdefghijkl");
  const auto refused = wrong->apply(request({kRecordA}, {}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::AuthFailure);
  EXPECT_NE(refused.error().message.find("HTTP 401: Invalid token."), std::string::npos)
      << refused.error().message;
  EXPECT_TRUE(held().empty());
}

TEST_F(DesecPublisher, AnUnknownDomainIsNamedAsSuch) {
  auto desec = updater();
  ports::UpdateRequest elsewhere;
  elsewhere.zone = "other.test.";
  elsewhere.additions.push_back({"_25._tcp.mail.other.test.", parseTlsaRdata(kRecordA).value()});
  const auto result = desec->apply(elsewhere);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::NotFound);
  EXPECT_NE(result.error().message.find("holds no such domain"), std::string::npos)
      << result.error().message;
}

}  // namespace
}  // namespace daneguard::testing
