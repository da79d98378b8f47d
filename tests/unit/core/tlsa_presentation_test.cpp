#include "core/tlsa/tlsa_presentation.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/hex.hpp"

namespace daneguard {
namespace {

const std::string kSha256Hex = "70ff9e61beecccbe6504d981d3ad7b42ca5bfb458993f51f82c43c1e5dafe34f";
const std::string kSha512Hex = kSha256Hex + kSha256Hex;

TEST(TlsaPresentation, ParsesDigUpperCaseHexSplitIntoWords) {
  // dig prints the data upper case and split into 56-digit words.
  const auto record =
      parseTlsaRdata("3 1 1 70FF9E61BEECCCBE6504D981D3AD7B42CA5BFB458993F51F82C43C1E 5DAFE34F");
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_EQ(record->parameters,
            (TlsaParameters{TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha256}));
  EXPECT_EQ(toHex(record->data), kSha256Hex);
  EXPECT_EQ(formatTlsaRdata(*record), "3 1 1 " + kSha256Hex);
}

TEST(TlsaPresentation, AcceptsMnemonicsAndFormatsNumbers) {
  const auto record = parseTlsaRdata("DANE-TA SPKI SHA2-512\t" + kSha512Hex + "\n");
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_EQ(formatTlsaRdata(*record), "2 1 2 " + kSha512Hex);
}

TEST(TlsaPresentation, RoundTripsEveryAssignedCombination) {
  for (int u = 0; u <= 3; ++u) {
    for (int s = 0; s <= 1; ++s) {
      for (int m = 0; m <= 2; ++m) {
        const std::string hex = m == 1 ? kSha256Hex : m == 2 ? kSha512Hex : "3082" + kSha256Hex;
        const std::string text =
            std::to_string(u) + " " + std::to_string(s) + " " + std::to_string(m) + " " + hex;
        const auto record = parseTlsaRdata(text);
        ASSERT_TRUE(record) << text << ": " << record.error().message;
        EXPECT_EQ(formatTlsaRdata(*record), text);
        EXPECT_EQ(parseTlsaRdata(formatTlsaRdata(*record)).value(), *record);
      }
    }
  }
}

TEST(TlsaPresentation, RejectsBadInputWithPreciseMessages) {
  const std::string full_over_limit(2 * (kMaxFullTlsaDataOctets + 1), 'a');
  const struct {
    std::string text;
    std::string message;
  } cases[] = {
      {"", "fewer than three fields"},
      {"3 1", "fewer than three fields"},
      {"3 1 1", "no certificate association data"},
      {"3 1 1   \t ", "no certificate association data"},
      {"256 1 1 " + kSha256Hex, "usage '256' is out of range"},
      {"3 256 1 " + kSha256Hex, "selector '256' is out of range"},
      {"3 1 1000 " + kSha256Hex, "matching type '1000' is out of range"},
      {"x 1 1 " + kSha256Hex, "usage 'x' is neither a number nor a known name"},
      {"3 spk 1 " + kSha256Hex, "selector 'spk' is neither"},
      {"3 1 sha1 " + kSha256Hex, "matching type 'sha1' is neither"},
      {"4 1 1 " + kSha256Hex, "usage 4 is not an assigned value"},
      {"255 1 1 " + kSha256Hex, "usage 255 is not an assigned value"},
      {"3 2 1 " + kSha256Hex, "selector 2 is not an assigned value"},
      {"3 1 3 " + kSha256Hex, "matching type 3 is not an assigned value"},
      {"3 1 1 abc", "odd number of hex digits"},
      {"3 1 1 " + kSha256Hex + "g0", "invalid hex digit 'g'"},
      {"3 1 1 (" + kSha256Hex + ")", "invalid hex digit '('"},
      {"3 1 1 " + kSha256Hex.substr(2), "SHA2-256 data must be 32 octets (64 hex digits), got 31"},
      {"3 1 1 " + kSha512Hex, "SHA2-256 data must be 32 octets (64 hex digits), got 64"},
      {"3 1 2 " + kSha256Hex, "SHA2-512 data must be 64 octets (128 hex digits), got 32"},
      {"3 0 0 " + full_over_limit, "over daneguard's limit of 8192"},
  };
  for (const auto& c : cases) {
    const auto parsed = parseTlsaRdata(c.text);
    ASSERT_FALSE(parsed) << c.text.substr(0, 80);
    EXPECT_EQ(parsed.error().kind, ErrorKind::InvalidInput);
    EXPECT_NE(parsed.error().message.find(c.message), std::string::npos)
        << "input: " << c.text.substr(0, 80) << "\nmessage: " << parsed.error().message;
  }
}

TEST(TlsaPresentation, FullDataAtTheLimitIsAccepted) {
  const std::string at_limit(2 * kMaxFullTlsaDataOctets, 'a');
  EXPECT_TRUE(parseTlsaRdata("3 0 0 " + at_limit));
}

TEST(TlsaPresentation, FromDnsKeepsUnassignedValuesAndOddLengths) {
  const auto unknown_usage = parseTlsaRdataFromDns("7 1 1 " + kSha256Hex);
  ASSERT_TRUE(unknown_usage) << unknown_usage.error().message;
  EXPECT_EQ(unknown_usage->parameters.usage, static_cast<TlsaUsage>(7));
  EXPECT_EQ(formatTlsaRdata(*unknown_usage), "7 1 1 " + kSha256Hex);
  EXPECT_NE(tlsaRecordDefect(*unknown_usage).find("usage 7 is not assigned"), std::string::npos);

  const auto short_digest = parseTlsaRdataFromDns("3 1 1 abcd");
  ASSERT_TRUE(short_digest);
  EXPECT_NE(tlsaRecordDefect(*short_digest).find("got 2"), std::string::npos);

  const std::string big_full(2 * (kMaxFullTlsaDataOctets + 1), 'b');
  EXPECT_TRUE(parseTlsaRdataFromDns("3 0 0 " + big_full));
  // Syntax errors are still errors.
  EXPECT_FALSE(parseTlsaRdataFromDns("256 1 1 " + kSha256Hex));
  EXPECT_FALSE(parseTlsaRdataFromDns("3 1 1"));
  EXPECT_FALSE(parseTlsaRdataFromDns("3 1 1 abc"));
}

TEST(TlsaPresentation, DefectIsEmptyForUsableRecords) {
  EXPECT_EQ(tlsaRecordDefect(parseTlsaRdata("3 1 1 " + kSha256Hex).value()), "");
  EXPECT_EQ(tlsaRecordDefect(
                TlsaRecord{{TlsaUsage::DaneEe, TlsaSelector::Cert, TlsaMatchingType::Full}, {}}),
            "TLSA Full (matching type 0) data is empty");
}

}  // namespace
}  // namespace daneguard
