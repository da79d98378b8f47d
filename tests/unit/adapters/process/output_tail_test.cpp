#include "adapters/process/output_tail.hpp"

#include <gtest/gtest.h>

#include <string>

namespace daneguard::adapters::process {
namespace {

TEST(SanitizeForLog, KeepsPlainTextNewlinesAndTabs) {
  EXPECT_EQ(sanitizeForLog("reloading postfix\n\tdone\n"), "reloading postfix\n\tdone\n");
}

TEST(SanitizeForLog, DropsNulAndControlBytes) {
  EXPECT_EQ(sanitizeForLog(std::string("a\0b\rc\x07"
                                       "d\x7f"
                                       "e",
                                       9)),
            "abcde");
}

TEST(SanitizeForLog, DropsTerminalEscapeSequences) {
  EXPECT_EQ(sanitizeForLog("\x1b[1;31mred\x1b[0m plain"), "red plain");
  EXPECT_EQ(sanitizeForLog("\x1b]0;new window title\x07"
                           "after"),
            "after");
  EXPECT_EQ(sanitizeForLog("\x1b]8;;http://x\x1b\\link"), "link");
  EXPECT_EQ(sanitizeForLog("\x1b"
                           "cafter reset"),
            "after reset");
  EXPECT_EQ(sanitizeForLog("cut \x1b[12"), "cut ");  // unterminated: dropped to the end
}

TEST(SanitizeForLog, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(sanitizeForLog("Zertifikat f\xc3\xbcr m\xc3\xa4il \xe2\x9c\x93"),
            "Zertifikat f\xc3\xbcr m\xc3\xa4il \xe2\x9c\x93");
  EXPECT_EQ(sanitizeForLog("a\xff"
                           "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(sanitizeForLog("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");  // overlong '/'
  EXPECT_EQ(sanitizeForLog("\xed\xa0\x80"),                           // UTF-16 surrogate
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(sanitizeForLog("\xf0\x9f\x98"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // truncated
}

TEST(SanitizeForLog, DropsC1ControlsThatSomeTerminalsTreatAsCsi) {
  EXPECT_EQ(sanitizeForLog("x\xc2\x9b"
                           "31my"),
            "x31my");
}

TEST(LastLine, SkipsTrailingBlankLinesAndShortensLongLines) {
  EXPECT_EQ(lastLine("first\nsecond\n\n"), "second");
  EXPECT_EQ(lastLine(""), "");
  EXPECT_EQ(lastLine(std::string(1000, 'x'), 10), "..." + std::string(10, 'x'));
}

TEST(OutputTail, KeepsOnlyTheLastCapBytesButCountsAll) {
  OutputTail tail(8);
  for (int i = 0; i < 100; ++i)
    tail.append("0123456789");
  tail.append("tail");
  EXPECT_EQ(tail.totalBytes(), 1004U);
  EXPECT_EQ(tail.sanitizedTail(), "6789tail");
}

TEST(OutputTail, AChunkLargerThanTheCapKeepsItsEnd) {
  OutputTail tail(4);
  tail.append("abcdefgh");
  EXPECT_EQ(tail.sanitizedTail(), "efgh");
}

TEST(OutputTail, DoesNotStartWithHalfACharacterAfterTruncation) {
  OutputTail tail(4);
  tail.append("x\xc3\xbc\xc3\xbcy");  // the cut falls inside the first u-umlaut
  EXPECT_EQ(tail.sanitizedTail(), "\xc3\xbcy");
}

}  // namespace
}  // namespace daneguard::adapters::process
