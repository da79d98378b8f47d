#include "adapters/publishers/prerequisite_check.hpp"

#include <gtest/gtest.h>

#include "unit/adapters/publishers/fake_zone.hpp"

namespace daneguard::adapters::publishers {
namespace {

using Kind = ports::UpdatePrerequisite::Kind;

const std::string kOwner = "_25._tcp.mail.example.test.";
const ports::DnsServer kServer{"127.0.0.1", 5300};

Result<void> check(FakeZone& zone, Kind kind, std::vector<TlsaRecord> records = {},
                   const std::string& owner = kOwner) {
  return checkPrerequisitesByQuery(zone, kServer, {ports::UpdatePrerequisite{kind, owner, records}},
                                   "publisher 'p'");
}

TEST(PrerequisitesByQuery, RrsetEqualsComparesTheSetWhateverTheOrder) {
  FakeZone zone;
  zone.tlsa[kOwner] = {record311(2), record311(1)};
  EXPECT_TRUE(check(zone, Kind::TlsaRrsetEquals, {record311(1), record311(2)}));
  const auto missing_one = check(zone, Kind::TlsaRrsetEquals, {record311(1)});
  ASSERT_FALSE(missing_one);
  EXPECT_EQ(missing_one.error().kind, ErrorKind::PreconditionFailed);
  EXPECT_NE(missing_one.error().message.find(kOwner), std::string::npos);
  EXPECT_NE(missing_one.error().message.find("publisher 'p'"), std::string::npos);
  EXPECT_NE(missing_one.error().message.find("127.0.0.1:5300"), std::string::npos);
}

TEST(PrerequisitesByQuery, ExistenceAndAbsence) {
  FakeZone zone;
  EXPECT_TRUE(check(zone, Kind::TlsaRrsetAbsent));
  EXPECT_FALSE(check(zone, Kind::TlsaRrsetExists));
  EXPECT_FALSE(check(zone, Kind::NameInUse));
  EXPECT_TRUE(check(zone, Kind::NameNotInUse));
  zone.tlsa[kOwner] = {record311(1)};
  EXPECT_FALSE(check(zone, Kind::TlsaRrsetAbsent));
  EXPECT_TRUE(check(zone, Kind::TlsaRrsetExists));
  EXPECT_TRUE(check(zone, Kind::NameInUse));
  EXPECT_FALSE(check(zone, Kind::NameNotInUse));
  zone.empty_non_terminals = {"_tcp.mail.example.test."};
  EXPECT_TRUE(check(zone, Kind::NameInUse, {}, "_tcp.mail.example.test."));
  EXPECT_TRUE(check(zone, Kind::TlsaRrsetAbsent, {}, "_tcp.mail.example.test."));
}

TEST(PrerequisitesByQuery, ANonAuthoritativeAnswerDecidesNothing) {
  FakeZone zone;
  zone.authoritative = false;
  const auto result = check(zone, Kind::TlsaRrsetAbsent);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::Transient);
  EXPECT_NE(result.error().message.find("dns_server"), std::string::npos);
}

}  // namespace
}  // namespace daneguard::adapters::publishers
