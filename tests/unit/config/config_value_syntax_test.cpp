// The small grammars inside config values, checked against hand-written expectations.
#include <gtest/gtest.h>

#include "adapters/config_toml/value_syntax.hpp"

namespace daneguard::adapters::config_toml {
namespace {

using namespace std::chrono_literals;

TEST(ConfigDuration, AcceptsEachUnit) {
  EXPECT_EQ(parseDuration("90s").value(), 90s);
  EXPECT_EQ(parseDuration("5m").value(), 300s);
  EXPECT_EQ(parseDuration("1h").value(), 3600s);
  EXPECT_EQ(parseDuration("2d").value(), 172800s);
  EXPECT_EQ(parseDuration("0s").value(), 0s);
  EXPECT_EQ(parseDuration("365d").value(), kMaxDuration);
}

TEST(ConfigDuration, RejectsEverythingElse) {
  for (const char* text : {"", "s", "5", "5 m", " 5m", "5M", "1.5h", "5w", "+5m", "1h30m", "h1",
                           "99999999999999999999999s"})
    EXPECT_FALSE(parseDuration(text)) << text;
  EXPECT_EQ(parseDuration("-5m").error().message, "duration '-5m' is negative");
  EXPECT_EQ(parseDuration("366d").error().message,
            "duration '366d' is longer than the maximum of 365d");
  EXPECT_FALSE(parseDuration("31536001s"));
}

TEST(ConfigHostName, CanonicalisesCaseAndTrailingDot) {
  EXPECT_EQ(parseHostName("Mail.Example.COM.", true).value(), "mail.example.com");
  EXPECT_EQ(parseHostName("xn--bcher-kva.example", true).value(), "xn--bcher-kva.example");
  EXPECT_EQ(parseHostName("a1-b.c2", true).value(), "a1-b.c2");
  EXPECT_EQ(parseHostName("localhost", false).value(), "localhost");
}

TEST(ConfigHostName, RejectsNonLdhNames) {
  for (const char* text : {"", ".", "mail..example.com", ".mail.example.com", "-mail.example.com",
                           "mail-.example.com", "mail_1.example.com", "*.example.com",
                           "mail example.com", "bücher.example", "192.0.2.1", "mail"})
    EXPECT_FALSE(parseHostName(text, true)) << text;
  const std::string label63(63, 'a');
  EXPECT_TRUE(parseHostName(label63 + ".example", true));
  EXPECT_FALSE(parseHostName(label63 + "a.example", true));
  std::string long_name;
  while (long_name.size() < 250)
    long_name += "abcdefgh.";
  long_name += "example";  // 259 octets
  EXPECT_FALSE(parseHostName(long_name, true));
}

TEST(ConfigServerAddress, ParsesEveryForm) {
  using config::ServerAddress;
  EXPECT_EQ(parseServerAddress("ns1.example.com", 53).value(),
            (ServerAddress{"ns1.example.com", 53}));
  EXPECT_EQ(parseServerAddress("NS1.example.com.:5353", 53).value(),
            (ServerAddress{"ns1.example.com", 5353}));
  EXPECT_EQ(parseServerAddress("192.0.2.1:54", 53).value(), (ServerAddress{"192.0.2.1", 54}));
  EXPECT_EQ(parseServerAddress("[::1]:53", std::nullopt).value(), (ServerAddress{"::1", 53}));
  EXPECT_EQ(parseServerAddress("[2001:db8::1]", 53).value(), (ServerAddress{"2001:db8::1", 53}));
  EXPECT_EQ(parseServerAddress("2001:db8::1", 53).value(), (ServerAddress{"2001:db8::1", 53}));
}

TEST(ConfigServerAddress, RejectsMalformedAddresses) {
  for (const char* text : {"", ":53", "ns1.example.com:", "ns1.example.com:0",
                           "ns1.example.com:65536", "ns1.example.com:5x", "[::1", "[::1]53",
                           "[ns1.example.com]:53", "2001:db8::g", "ns_1.example.com"})
    EXPECT_FALSE(parseServerAddress(text, 53)) << text;
  EXPECT_FALSE(parseServerAddress("mail.example.com", std::nullopt));
}

TEST(ConfigSuggestions, FindsCloseKeysOnly) {
  EXPECT_EQ(editDistance("servces", "services"), 1u);
  EXPECT_EQ(editDistance("sevrices", "services"), 1u);  // transposition
  EXPECT_EQ(editDistance("TTL", "ttl"), 0u);
  EXPECT_EQ(editDistance("", "abc"), 3u);
  const std::vector<std::string> keys{"hosts", "ports", "publisher", "ttl"};
  EXPECT_EQ(closestMatch("hots", keys), "hosts");
  EXPECT_EQ(closestMatch("publsher", keys), "publisher");
  EXPECT_EQ(closestMatch("certificate", keys), std::nullopt);
  EXPECT_EQ(closestMatch("x", keys), std::nullopt);
}

TEST(ConfigPrintable, EscapesAndTruncates) {
  EXPECT_EQ(printable("plain"), "plain");
  EXPECT_EQ(printable(std::string_view("a\0b\x1b\n", 5)), "a\\x00b\\x1b\\x0a");
  EXPECT_EQ(printable(std::string(100, 'x'), 10), std::string(10, 'x') + "...");
}

}  // namespace
}  // namespace daneguard::adapters::config_toml
