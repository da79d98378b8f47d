#include "core/hex.hpp"

#include <gtest/gtest.h>

namespace daneguard {
namespace {

TEST(Hex, RoundTripsAllByteValues) {
  Bytes all;
  for (int i = 0; i < 256; ++i)
    all.push_back(static_cast<std::uint8_t>(i));
  const std::string text = toHex(all);
  EXPECT_EQ(text.substr(0, 6), "000102");
  EXPECT_EQ(text.substr(text.size() - 4), "feff");
  EXPECT_EQ(parseHex(text).value(), all);
}

TEST(Hex, AcceptsUpperCaseAndWhiteSpaceLikeDigPrintsIt) {
  EXPECT_EQ(parseHex("AB cd\tEF\n01").value(), (Bytes{0xab, 0xcd, 0xef, 0x01}));
}

TEST(Hex, RejectsOddLengthAndBadDigitsWithPosition) {
  EXPECT_EQ(parseHex("abc").error().message, "odd number of hex digits");
  EXPECT_EQ(parseHex("abzz").error().message, "invalid hex digit 'z' at position 3");
  EXPECT_EQ(parseHex(std::string_view("a\0", 2)).error().message,
            "invalid hex digit (byte 0x00) at position 2");
}

TEST(Hex, EmptyIsEmpty) {
  EXPECT_TRUE(parseHex("").value().empty());
}

}  // namespace
}  // namespace daneguard
