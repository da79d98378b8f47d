// The validated DANE lookups (adapters/resolver) against a signed BIND zone: libunbound
// validating in-process (stub and forward modes) and a real Unbound daemon whose AD bit is
// required. dig against the same Unbound is the independent oracle for the AD verdicts.
#include <gtest/gtest.h>

#include <chrono>

#include "adapters/resolver/unbound_dane_lookup.hpp"
#include "adapters/resolver/validating_resolver_lookup.hpp"
#include "core/tlsa/tlsa_presentation.hpp"
#include "integration/support/bind_fixture.hpp"
#include "integration/support/unbound_fixture.hpp"
#include "integration/verify/verify_world.hpp"
#include "support/run_command.hpp"
#include "support/test_pki.hpp"

namespace daneguard::adapters::resolver {
namespace {

using namespace std::chrono_literals;
using ports::DnssecStatus;
using testing::TempDir;
using testing::UnboundFixture;

constexpr const char* kOwner = "_25._tcp.mail.example.test.";

class DaneLookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    record_text_ = testing::opensslSpkiSha256Record(testing::testPkiDir("ecdsa-p256") / "leaf.pem");
    signed_ = testing::startZone("example.test.",
                                 "mail A 127.0.0.1\nmail AAAA ::1\n"
                                 "@ MX 10 mail\n"
                                 "unsigned NS ns1.unsigned\n"
                                 "ns1.unsigned A 127.0.0.1\n"
                                 "_25._tcp.mail TLSA " +
                                     record_text_ + "\n");
    unsigned_ = testing::startZone("unsigned.example.test.",
                                   "mail A 127.0.0.1\n_25._tcp.mail TLSA " + record_text_ + "\n");
  }

  UnboundLookupOptions stubOptions(std::filesystem::path anchor) const {
    UnboundLookupOptions options;
    options.trust_anchor_files = {std::move(anchor)};
    options.stub_zones = {{"example.test.", {signed_->primary().endpoint}},
                          {"unsigned.example.test.", {unsigned_->primary().endpoint}}};
    options.timeout = 8s;
    return options;
  }

  testing::UnboundFixture startUnbound(std::filesystem::path anchor) const {
    testing::UnboundFixtureOptions options;
    options.trust_anchor_files = {std::move(anchor)};
    options.stub_zones = {{"example.test.", signed_->primary().endpoint},
                          {"unsigned.example.test.", unsigned_->primary().endpoint}};
    return testing::UnboundFixture(std::move(options));
  }

  TlsaRecord expectedRecord() const { return *parseTlsaRdata(record_text_); }

  TempDir directory_;
  std::string record_text_;
  std::unique_ptr<sandbox::DnsSandbox> signed_;
  std::unique_ptr<sandbox::DnsSandbox> unsigned_;
};

TEST_F(DaneLookupTest, libunboundValidatesTheSignedZoneFromItsDs) {
  auto lookup = UnboundDaneLookup::create(stubOptions(signed_->trustAnchorDsPath()));
  ASSERT_TRUE(lookup) << lookup.error().message;

  auto tlsa = (*lookup)->tlsa("_25._tcp.MAIL.example.test");
  ASSERT_TRUE(tlsa) << tlsa.error().message;
  EXPECT_EQ(tlsa->owner, kOwner);
  EXPECT_EQ(tlsa->status, DnssecStatus::Secure);
  EXPECT_TRUE(tlsa->exists);
  EXPECT_EQ(tlsa->records, std::vector<TlsaRecord>{expectedRecord()});
  EXPECT_GT(tlsa->ttl.count(), 0);

  auto addresses = (*lookup)->addresses("mail.example.test");
  ASSERT_TRUE(addresses) << addresses.error().message;
  EXPECT_EQ(addresses->status, DnssecStatus::Secure);
  EXPECT_EQ(addresses->addresses, (std::vector<std::string>{"127.0.0.1", "::1"}));

  auto mx = (*lookup)->mx("example.test");
  ASSERT_TRUE(mx) << mx.error().message;
  EXPECT_EQ(mx->status, DnssecStatus::Secure);
  ASSERT_TRUE(mx->exists);
  ASSERT_EQ(mx->hosts.size(), 1u);
  EXPECT_EQ(mx->hosts[0].preference, 10);
  EXPECT_EQ(mx->hosts[0].host, "mail.example.test");
}

TEST_F(DaneLookupTest, provenAbsenceIsSecureAndNotAnError) {
  auto lookup = UnboundDaneLookup::create(stubOptions(signed_->trustAnchorDnskeyPath()));
  ASSERT_TRUE(lookup) << lookup.error().message;
  auto nxdomain = (*lookup)->tlsa("_25._tcp.nothere.example.test.");
  ASSERT_TRUE(nxdomain) << nxdomain.error().message;
  EXPECT_FALSE(nxdomain->exists);
  EXPECT_EQ(nxdomain->status, DnssecStatus::Secure);
  auto nodata = (*lookup)->tlsa("mail.example.test.");  // the name exists, no TLSA there
  ASSERT_TRUE(nodata) << nodata.error().message;
  EXPECT_FALSE(nodata->exists);
  EXPECT_EQ(nodata->status, DnssecStatus::Secure);
  auto no_mx = (*lookup)->mx("mail.example.test");
  ASSERT_TRUE(no_mx) << no_mx.error().message;
  EXPECT_FALSE(no_mx->exists);
  EXPECT_EQ(no_mx->status, DnssecStatus::Secure);
}

TEST_F(DaneLookupTest, childZoneDelegatedWithoutDsIsInsecure) {
  auto lookup = UnboundDaneLookup::create(stubOptions(signed_->trustAnchorDsPath()));
  ASSERT_TRUE(lookup) << lookup.error().message;
  auto tlsa = (*lookup)->tlsa("_25._tcp.mail.unsigned.example.test.");
  ASSERT_TRUE(tlsa) << tlsa.error().message;
  EXPECT_EQ(tlsa->status, DnssecStatus::Insecure);
  EXPECT_TRUE(tlsa->exists);  // the data is there; it just proves nothing
}

TEST(DaneLookupDelegation, delegationWithoutDsIsProvablyInsecure) {
  // The production shape of "unsigned zone": the signed parent delegates with NS but no DS, so
  // the validator proves (NSEC) that the child is unsigned, whatever the child serves. The
  // same child delegated WITH its DS validates: the DS alone makes the difference.
  const std::string record =
      testing::opensslSpkiSha256Record(testing::testPkiDir("ecdsa-p256") / "leaf.pem");
  auto child = testing::startZone("child.example.test.",
                                  "mail A 127.0.0.1\n_25._tcp.mail TLSA " + record + "\n");
  const std::string delegation = "child NS ns1.child\nns1.child A 127.0.0.1\n";
  const std::string child_ds = testing::readTextFile(child->trustAnchorDsPath());
  for (const bool with_ds : {false, true}) {
    auto parent = testing::startZone("example.test.", delegation + (with_ds ? child_ds : ""));
    UnboundLookupOptions options;
    options.trust_anchor_files = {parent->trustAnchorDsPath()};
    options.stub_zones = {{"example.test.", {parent->primary().endpoint}},
                          {"child.example.test.", {child->primary().endpoint}}};
    options.timeout = 8s;
    auto lookup = UnboundDaneLookup::create(options);
    ASSERT_TRUE(lookup) << lookup.error().message;
    auto tlsa = (*lookup)->tlsa("_25._tcp.mail.child.example.test.");
    ASSERT_TRUE(tlsa) << tlsa.error().message;
    EXPECT_EQ(tlsa->status, with_ds ? DnssecStatus::Secure : DnssecStatus::Insecure)
        << "with DS: " << with_ds << " " << tlsa->why_bogus;
    EXPECT_TRUE(tlsa->exists);
  }
}

TEST_F(DaneLookupTest, wrongTrustAnchorMakesTheAnswerBogus) {
  auto lookup =
      UnboundDaneLookup::create(stubOptions(testing::writeWrongDsAnchor(*signed_, directory_)));
  ASSERT_TRUE(lookup) << lookup.error().message;
  auto tlsa = (*lookup)->tlsa(kOwner);
  ASSERT_TRUE(tlsa) << tlsa.error().message;
  EXPECT_EQ(tlsa->status, DnssecStatus::Bogus);
  EXPECT_FALSE(tlsa->why_bogus.empty());
  auto addresses = (*lookup)->addresses("mail.example.test");
  ASSERT_TRUE(addresses) << addresses.error().message;
  EXPECT_EQ(addresses->status, DnssecStatus::Bogus);
}

TEST_F(DaneLookupTest, forwardingStillValidatesLocally) {
  UnboundFixture unbound = startUnbound(signed_->trustAnchorDsPath());
  UnboundLookupOptions good;
  good.trust_anchor_files = {signed_->trustAnchorDsPath()};
  good.forwarder = unbound.endpoint();
  // test. is answered locally by default (RFC 6761); send it to the forwarder like any zone.
  good.unbound_options = {{"local-zone:", "test. transparent"}};
  auto lookup = UnboundDaneLookup::create(good);
  ASSERT_TRUE(lookup) << lookup.error().message;
  auto tlsa = (*lookup)->tlsa(kOwner);
  ASSERT_TRUE(tlsa) << tlsa.error().message << "\n" << unbound.log();
  EXPECT_EQ(tlsa->status, DnssecStatus::Secure);
  EXPECT_EQ(tlsa->records, std::vector<TlsaRecord>{expectedRecord()});

  // The forwarder is happy with the data; a wrong local anchor must still make it bogus.
  UnboundLookupOptions wrong = good;
  wrong.trust_anchor_files = {testing::writeWrongDsAnchor(*signed_, directory_)};
  auto strict = UnboundDaneLookup::create(wrong);
  ASSERT_TRUE(strict) << strict.error().message;
  auto bogus = (*strict)->tlsa(kOwner);
  ASSERT_TRUE(bogus) << bogus.error().message;
  EXPECT_EQ(bogus->status, DnssecStatus::Bogus);
}

TEST_F(DaneLookupTest, validatingResolverAdBitDecides) {
  UnboundFixture unbound = startUnbound(signed_->trustAnchorDsPath());
  ValidatingResolverLookup lookup(unbound.endpoint());

  auto tlsa = lookup.tlsa(kOwner);
  ASSERT_TRUE(tlsa) << tlsa.error().message;
  EXPECT_EQ(tlsa->status, DnssecStatus::Secure);
  EXPECT_EQ(tlsa->records, std::vector<TlsaRecord>{expectedRecord()});
  // Oracle: dig sees the same AD flag from this Unbound.
  EXPECT_NE(unbound.dig(kOwner, "TLSA").find(" ad"), std::string::npos);

  auto insecure = lookup.tlsa("_25._tcp.mail.unsigned.example.test.");
  ASSERT_TRUE(insecure) << insecure.error().message;
  EXPECT_EQ(insecure->status, DnssecStatus::Insecure);
  EXPECT_TRUE(insecure->exists);
  const std::string dig_insecure = unbound.dig("_25._tcp.mail.unsigned.example.test.", "TLSA");
  EXPECT_EQ(dig_insecure.find("flags: qr rd ra ad"), std::string::npos) << dig_insecure;

  auto mx = lookup.mx("example.test.");
  ASSERT_TRUE(mx) << mx.error().message;
  EXPECT_EQ(mx->status, DnssecStatus::Secure);
  ASSERT_EQ(mx->hosts.size(), 1u);
  EXPECT_EQ(mx->hosts[0].host, "mail.example.test");
  auto addresses = lookup.addresses("mail.example.test");
  ASSERT_TRUE(addresses) << addresses.error().message;
  EXPECT_EQ(addresses->addresses, (std::vector<std::string>{"127.0.0.1", "::1"}));
}

TEST_F(DaneLookupTest, validatingResolverThatFindsBogusDataAnswersServfail) {
  UnboundFixture unbound = startUnbound(testing::writeWrongDsAnchor(*signed_, directory_));
  ValidatingResolverLookup lookup(unbound.endpoint());
  auto tlsa = lookup.tlsa(kOwner);
  ASSERT_FALSE(tlsa);
  EXPECT_EQ(tlsa.error().kind, ErrorKind::Transient);
  EXPECT_NE(tlsa.error().message.find("SERVFAIL"), std::string::npos) << tlsa.error().message;
  EXPECT_NE(tlsa.error().message.find(kOwner), std::string::npos);
  EXPECT_NE(tlsa.error().message.find(unbound.endpoint().toString()), std::string::npos);
}

TEST_F(DaneLookupTest, unreachableServerIsAnErrorNamingResolverAndName) {
  UnboundLookupOptions options;
  options.trust_anchor_files = {signed_->trustAnchorDsPath()};
  const std::uint16_t dead_port = testing::findFreePort({"127.0.0.1"});
  options.stub_zones = {{"example.test.", {{"127.0.0.1", dead_port}}}};
  options.timeout = 2s;
  auto lookup = UnboundDaneLookup::create(options);
  ASSERT_TRUE(lookup) << lookup.error().message;
  auto tlsa = (*lookup)->tlsa(kOwner);
  ASSERT_FALSE(tlsa);
  EXPECT_EQ(tlsa.error().kind, ErrorKind::Transient);
  EXPECT_NE(tlsa.error().message.find(kOwner), std::string::npos) << tlsa.error().message;
  EXPECT_NE(tlsa.error().message.find("127.0.0.1:" + std::to_string(dead_port)), std::string::npos)
      << tlsa.error().message;
}

TEST_F(DaneLookupTest, missingTrustAnchorFileIsNamed) {
  UnboundLookupOptions options;
  options.trust_anchor_files = {directory_.path() / "absent.key"};
  auto lookup = UnboundDaneLookup::create(options);
  ASSERT_FALSE(lookup);
  EXPECT_EQ(lookup.error().kind, ErrorKind::NotFound);
  EXPECT_NE(lookup.error().message.find("absent.key"), std::string::npos);
}

}  // namespace
}  // namespace daneguard::adapters::resolver
