#include "core/tlsa/tlsa_mnemonics.hpp"

#include <gtest/gtest.h>

namespace daneguard {
namespace {

TEST(TlsaMnemonics, UsageFromNumberOrRfc7218NameInAnyCase) {
  EXPECT_EQ(parseTlsaUsage("3").value(), TlsaUsage::DaneEe);
  EXPECT_EQ(parseTlsaUsage("dane-ee").value(), TlsaUsage::DaneEe);
  EXPECT_EQ(parseTlsaUsage("DANE-EE").value(), TlsaUsage::DaneEe);
  EXPECT_EQ(parseTlsaUsage("Dane-Ta").value(), TlsaUsage::DaneTa);
  EXPECT_EQ(parseTlsaUsage("pkix-ta").value(), TlsaUsage::PkixTa);
  EXPECT_EQ(parseTlsaUsage("PKIX-EE").value(), TlsaUsage::PkixEe);
  EXPECT_EQ(parseTlsaUsage("0").value(), TlsaUsage::PkixTa);
}

TEST(TlsaMnemonics, SelectorAndMatchingTypeNamesIncludingShaWithoutDash) {
  EXPECT_EQ(parseTlsaSelector("cert").value(), TlsaSelector::Cert);
  EXPECT_EQ(parseTlsaSelector("SPKI").value(), TlsaSelector::Spki);
  EXPECT_EQ(parseTlsaSelector("1").value(), TlsaSelector::Spki);
  EXPECT_EQ(parseTlsaMatchingType("full").value(), TlsaMatchingType::Full);
  EXPECT_EQ(parseTlsaMatchingType("sha2-256").value(), TlsaMatchingType::Sha256);
  EXPECT_EQ(parseTlsaMatchingType("SHA2-512").value(), TlsaMatchingType::Sha512);
  EXPECT_EQ(parseTlsaMatchingType("sha256").value(), TlsaMatchingType::Sha256);
  EXPECT_EQ(parseTlsaMatchingType("SHA512").value(), TlsaMatchingType::Sha512);
  EXPECT_EQ(parseTlsaMatchingType("2").value(), TlsaMatchingType::Sha512);
}

TEST(TlsaMnemonics, StrictRejectsUnassignedLenientKeepsThem) {
  const auto strict = parseTlsaUsage("4");
  ASSERT_FALSE(strict);
  EXPECT_NE(strict.error().message.find("usage 4 is not an assigned value"), std::string::npos)
      << strict.error().message;
  EXPECT_NE(strict.error().message.find("DANE-EE"), std::string::npos);
  EXPECT_EQ(parseTlsaUsage("255", TlsaStrictness::Lenient).value(), static_cast<TlsaUsage>(255));
  EXPECT_FALSE(parseTlsaSelector("2"));
  EXPECT_EQ(parseTlsaSelector("2", TlsaStrictness::Lenient).value(), static_cast<TlsaSelector>(2));
  EXPECT_FALSE(parseTlsaMatchingType("3"));
}

TEST(TlsaMnemonics, ErrorsNameTheFieldAndTheProblem) {
  const struct {
    const char* text;
    const char* message;
  } cases[] = {
      {"256", "usage '256' is out of range"},
      {"99999999999999999999", "out of range"},
      {"-1", "neither a number nor a known name"},
      {"dane", "usage 'dane' is neither a number nor a known name"},
      {"", "neither a number"},
      {"3x", "neither a number"},
  };
  for (const auto& c : cases) {
    const auto parsed = parseTlsaUsage(c.text, TlsaStrictness::Lenient);
    ASSERT_FALSE(parsed) << c.text;
    EXPECT_NE(parsed.error().message.find(c.message), std::string::npos)
        << c.text << ": " << parsed.error().message;
    EXPECT_EQ(parsed.error().kind, ErrorKind::InvalidInput);
  }
  const auto selector = parseTlsaSelector("sha2-256");
  ASSERT_FALSE(selector);
  EXPECT_NE(selector.error().message.find("TLSA selector"), std::string::npos);
  const auto matching = parseTlsaMatchingType("md5");
  ASSERT_FALSE(matching);
  EXPECT_NE(matching.error().message.find("TLSA matching type 'md5'"), std::string::npos);
}

TEST(TlsaMnemonics, ParametersFromNumbersNamesOrAMix) {
  const TlsaParameters dane_ee_spki_sha256{TlsaUsage::DaneEe, TlsaSelector::Spki,
                                           TlsaMatchingType::Sha256};
  EXPECT_EQ(parseTlsaParameters("3 1 1").value(), dane_ee_spki_sha256);
  EXPECT_EQ(parseTlsaParameters("dane-ee spki sha2-256").value(), dane_ee_spki_sha256);
  EXPECT_EQ(parseTlsaParameters("  DANE-EE\t1  SHA256 ").value(), dane_ee_spki_sha256);
  EXPECT_EQ(parseTlsaParameters("2 0 2").value(),
            (TlsaParameters{TlsaUsage::DaneTa, TlsaSelector::Cert, TlsaMatchingType::Sha512}));
  const auto too_few = parseTlsaParameters("3 1");
  ASSERT_FALSE(too_few);
  EXPECT_NE(too_few.error().message.find("three fields"), std::string::npos);
  EXPECT_FALSE(parseTlsaParameters("3 1 1 1"));
  EXPECT_FALSE(parseTlsaParameters("3 2 1"));
}

TEST(TlsaMnemonics, FormatsRfc7218NamesAndNumbersForUnassigned) {
  EXPECT_EQ(tlsaUsageName(TlsaUsage::PkixTa), "PKIX-TA");
  EXPECT_EQ(tlsaUsageName(TlsaUsage::PkixEe), "PKIX-EE");
  EXPECT_EQ(tlsaUsageName(TlsaUsage::DaneTa), "DANE-TA");
  EXPECT_EQ(tlsaUsageName(TlsaUsage::DaneEe), "DANE-EE");
  EXPECT_EQ(tlsaUsageName(static_cast<TlsaUsage>(255)), "255");
  EXPECT_EQ(tlsaSelectorName(TlsaSelector::Cert), "Cert");
  EXPECT_EQ(tlsaSelectorName(TlsaSelector::Spki), "SPKI");
  EXPECT_EQ(tlsaMatchingTypeName(TlsaMatchingType::Full), "Full");
  EXPECT_EQ(tlsaMatchingTypeName(TlsaMatchingType::Sha256), "SHA2-256");
  EXPECT_EQ(tlsaMatchingTypeName(TlsaMatchingType::Sha512), "SHA2-512");
  const TlsaParameters p{TlsaUsage::DaneTa, TlsaSelector::Spki, TlsaMatchingType::Sha512};
  EXPECT_EQ(tlsaParametersName(p), "DANE-TA SPKI SHA2-512");
  EXPECT_EQ(tlsaParametersNumbers(p), "2 1 2");
  // Names read back to the same values.
  EXPECT_EQ(parseTlsaParameters(tlsaParametersName(p)).value(), p);
}

}  // namespace
}  // namespace daneguard
