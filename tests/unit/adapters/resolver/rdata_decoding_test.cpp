// Decoding of the wire-form RDATA the resolvers hand back: MX exchanges (including the null MX
// and malformed names), addresses, TLSA, and the status ordering used for A+AAAA pairs.
#include "adapters/resolver/rdata_decoding.hpp"

#include <gtest/gtest.h>

namespace daneguard::adapters::resolver {
namespace {

using ports::DnssecStatus;

TEST(RdataDecoding, mxExchangeIsLowerCaseWithoutTrailingDot) {
  const Bytes rdata{0,   10,  4,   'M', 'a', 'i', 'l', 7,   'e', 'x', 'a',
                    'm', 'p', 'l', 'e', 4,   't', 'e', 's', 't', 0};
  const auto mx = decodeMxRdata(rdata);
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->preference, 10);
  EXPECT_EQ(mx->host, "mail.example.test");
}

TEST(RdataDecoding, nullMxHasAnEmptyHost) {
  const auto mx = decodeMxRdata(Bytes{0, 0, 0});
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->host, "");
}

TEST(RdataDecoding, malformedMxIsRejected) {
  EXPECT_FALSE(decodeMxRdata(Bytes{0, 10}));                       // no name
  EXPECT_FALSE(decodeMxRdata(Bytes{0, 10, 5, 'a', 'b', 0}));       // label overruns
  EXPECT_FALSE(decodeMxRdata(Bytes{0, 10, 1, 'a', 0, 7}));         // trailing octets
  EXPECT_FALSE(decodeMxRdata(Bytes{0, 10, 3, 'a', ' ', 'b', 0}));  // not a host name
  EXPECT_FALSE(decodeMxRdata(Bytes{0, 10, 0xc0, 0x0c}));           // compression pointer
}

TEST(RdataDecoding, addressesOfBothFamilies) {
  EXPECT_EQ(decodeAddressRdata(Bytes{192, 0, 2, 25}), "192.0.2.25");
  Bytes v6(16, 0);
  v6[0] = 0x20;
  v6[1] = 0x01;
  v6[2] = 0x0d;
  v6[3] = 0xb8;
  v6[15] = 1;
  EXPECT_EQ(decodeAddressRdata(v6), "2001:db8::1");
  EXPECT_FALSE(decodeAddressRdata(Bytes{1, 2, 3}));
}

TEST(RdataDecoding, tlsaKeepsUnassignedParameters) {
  const auto record = decodeTlsaRdata(Bytes{3, 1, 1, 0xaa, 0xbb});
  ASSERT_TRUE(record);
  EXPECT_EQ(record->parameters.usage, TlsaUsage::DaneEe);
  EXPECT_EQ(record->data, (Bytes{0xaa, 0xbb}));
  const auto odd = decodeTlsaRdata(Bytes{255, 7, 9, 1});
  ASSERT_TRUE(odd);
  EXPECT_EQ(static_cast<int>(odd->parameters.usage), 255);
  EXPECT_FALSE(decodeTlsaRdata(Bytes{3, 1}));
}

TEST(RdataDecoding, weakerStatusOrdersBogusBelowInsecureBelowSecure) {
  EXPECT_EQ(weakerStatus(DnssecStatus::Secure, DnssecStatus::Secure), DnssecStatus::Secure);
  EXPECT_EQ(weakerStatus(DnssecStatus::Secure, DnssecStatus::Insecure), DnssecStatus::Insecure);
  EXPECT_EQ(weakerStatus(DnssecStatus::Bogus, DnssecStatus::Insecure), DnssecStatus::Bogus);
  EXPECT_EQ(weakerStatus(DnssecStatus::Secure, DnssecStatus::Bogus), DnssecStatus::Bogus);
  EXPECT_EQ(canonicalOwner("_25._tcp.MAIL.Example.test"), "_25._tcp.mail.example.test.");
}

}  // namespace
}  // namespace daneguard::adapters::resolver
