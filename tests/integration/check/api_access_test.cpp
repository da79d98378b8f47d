// The read-only access checks of the HTTP API publishers (ports::PublisherAccessCheck) against
// the provider fakes of tests/integration/publishers_api (HTTPS with a test CA, the providers'
// documented paths, status codes and error bodies): the right token passes and says what it
// verified, a wrong one is an AuthFailure with the provider's own message and never the token,
// and no check writes anything (the fake's request log holds only GETs).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "adapters/publishers/cloudflare_publisher.hpp"
#include "adapters/publishers/desec_publisher.hpp"
#include "integration/publishers_api/https_fake.hpp"
#include "ports/publisher_directory.hpp"

namespace daneguard::testing {
namespace {

using nlohmann::json;

const std::string kOwner = "_25._tcp.mail.example.test.";
const std::string kWrongToken = "not-a-valid-token-at-all-0123456789abcd";

std::size_t writes(HttpsFake& fake) {
  std::size_t count = 0;
  for (const json& entry : json::parse(fake.control("GET", "/_fake/log").second))
    if (entry["method"] != "GET") ++count;
  return count;
}

Result<std::string> checkAccess(ports::DnsUpdate& update) {
  auto* check = dynamic_cast<ports::PublisherAccessCheck*>(&update);
  if (check == nullptr) return fail(ErrorKind::Internal, "no PublisherAccessCheck");
  return check->checkAccess(ports::DnsServer{"127.0.0.1", 53}, "example.test.", {kOwner});
}

class ApiAccessCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = HttpsFake::unavailableReason()) GTEST_SKIP() << *reason;
  }
};

TEST_F(ApiAccessCheck, CloudflareTokenIsCheckedByReadingOnly) {
  const std::string token = "cloudflare-edit-token-0123456789abcdef";
  HttpsFake fake("fake_cloudflare.py",
                 std::vector<std::string>{"--zone", "example.test", "--token", token});
  const auto updaterWith = [&](const std::string& used) {
    config::CloudflarePublisher cloudflare;
    cloudflare.api_url = fake.baseUrl() + "/client/v4";
    cloudflare.token = config::ApiTokenFile{fake.tokenFile(used).string()};
    cloudflare.common.ca_file = fake.caFile().string();
    auto made = adapters::publishers::makeCloudflareUpdater(cloudflare, "cf");
    EXPECT_TRUE(made) << made.error().message;
    return std::move(*made);
  };

  const auto good = checkAccess(*updaterWith(token));
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_NE(good->find("cloudflare publisher 'cf', zone example.test.: the token may look up"),
            std::string::npos)
      << *good;

  const auto wrong = checkAccess(*updaterWith(kWrongToken));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().kind, ErrorKind::AuthFailure) << wrong.error().message;
  EXPECT_NE(wrong.error().message.find("code 9109: Invalid access token"), std::string::npos)
      << wrong.error().message;
  EXPECT_EQ(wrong.error().message.find(kWrongToken), std::string::npos);
  EXPECT_EQ(writes(fake), 0U);
}

TEST_F(ApiAccessCheck, DesecTokenIsCheckedByReadingOnly) {
  const std::string token = "desec-write-token-0123456789abcdef";
  HttpsFake fake("fake_desec.py", std::vector<std::string>{"--domain", "example.test", "--token",
                                                           token, "--minimum-ttl", "3600"});
  const auto updaterWith = [&](const std::string& used) {
    config::DesecPublisher desec;
    desec.api_url = fake.baseUrl() + "/api/v1";
    desec.token = config::ApiTokenFile{fake.tokenFile(used).string()};
    desec.common.ca_file = fake.caFile().string();
    auto made = adapters::publishers::makeDesecUpdater(desec, "desec-main");
    EXPECT_TRUE(made) << made.error().message;
    return std::move(*made);
  };

  const auto good = checkAccess(*updaterWith(token));
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_NE(good->find("minimum TTL 3600 s"), std::string::npos) << *good;

  const auto wrong = checkAccess(*updaterWith(kWrongToken));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().kind, ErrorKind::AuthFailure) << wrong.error().message;
  EXPECT_NE(wrong.error().message.find("HTTP 401"), std::string::npos) << wrong.error().message;
  EXPECT_EQ(wrong.error().message.find(kWrongToken), std::string::npos);
  EXPECT_EQ(writes(fake), 0U);
}

}  // namespace
}  // namespace daneguard::testing
