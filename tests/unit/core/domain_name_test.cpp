#include "core/dns/domain_name.hpp"

#include <gtest/gtest.h>

#include <string>

namespace daneguard {
namespace {

DomainName name(std::string_view text) {
  auto parsed = DomainName::parse(text);
  EXPECT_TRUE(parsed) << text << ": " << parsed.error().message;
  return parsed.value_or(DomainName());
}

TEST(DomainName, CanonicalFormIsLowerCaseAndAbsolute) {
  EXPECT_EQ(name("Mail.EXAMPLE.com").toString(), "mail.example.com.");
  EXPECT_EQ(name("mail.example.com.").toString(), "mail.example.com.");
  EXPECT_EQ(name("MAIL.example.com"), name("mail.example.com."));
  EXPECT_EQ(name(".").toString(), ".");
  EXPECT_TRUE(name(".").isRoot());
  EXPECT_EQ(name("a.b.c").labels(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(DomainName, AcceptsServiceLabelsWildcardAndALabels) {
  EXPECT_EQ(name("_25._tcp.mail.example.com").toString(), "_25._tcp.mail.example.com.");
  EXPECT_TRUE(name("*.example.com").isWildcard());
  EXPECT_EQ(name("xn--bcher-kva.example").toString(), "xn--bcher-kva.example.");
  EXPECT_EQ(name("a-b.c").toString(), "a-b.c.");
}

TEST(DomainName, RejectsInvalidNamesWithPreciseMessages) {
  const std::string label63(63, 'a');
  const std::string label64(64, 'a');
  // 4 labels of 63 + 3 dots... wire length: 4*64 + 1 = 257 > 255.
  const std::string too_long = label63 + "." + label63 + "." + label63 + "." + label63;
  const struct {
    std::string text;
    std::string message;
  } cases[] = {
      {"", "empty DNS name"},
      {"a..b", "empty label"},
      {".a", "empty label"},
      {"a.b..", "empty label"},
      {label64 + ".example", "is 64 octets long, the limit is 63"},
      {too_long, "257 octets in wire form, the limit is 255"},
      {"b\xc3\xbc"
       "cher.example",
       "in their A-label (xn--) form"},
      {"a.*.example", "'*' is only allowed as the whole left-most label"},
      {"*a.example", "contains '*'"},
      {"a b.example", "contains ' '"},
      {"a\\.b.example", "contains '\\'"},
      {"-a.example", "starts or ends with '-'"},
      {"a-.example", "starts or ends with '-'"},
  };
  for (const auto& c : cases) {
    const auto parsed = DomainName::parse(c.text);
    ASSERT_FALSE(parsed) << c.text;
    EXPECT_EQ(parsed.error().kind, ErrorKind::InvalidInput);
    EXPECT_NE(parsed.error().message.find(c.message), std::string::npos)
        << c.text << ": " << parsed.error().message;
  }
  // Non-ASCII advice names the xn-- form explicitly.
  EXPECT_NE(DomainName::parse("b\xc3\xbc"
                              "cher.example")
                .error()
                .message.find("xn--"),
            std::string::npos);
}

TEST(DomainName, LengthLimitsAreInclusive) {
  const std::string label63(63, 'a');
  EXPECT_TRUE(DomainName::parse(label63 + ".example"));
  // 63+1 + 63+1 + 63+1 + 61+1 + 1 = 255
  const std::string max_name = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_TRUE(DomainName::parse(max_name));
  EXPECT_EQ(name(max_name).wireLength(), 255U);
  EXPECT_EQ(name("example.com").wireLength(), 13U);
  EXPECT_EQ(name(".").wireLength(), 1U);
}

TEST(DomainName, SubdomainAndParent) {
  const DomainName mail = name("mail.example.com");
  EXPECT_TRUE(mail.isSubdomainOf(name("example.com")));
  EXPECT_TRUE(mail.isSubdomainOf(name("EXAMPLE.com.")));
  EXPECT_TRUE(mail.isSubdomainOf(mail));
  EXPECT_TRUE(mail.isSubdomainOf(name(".")));
  EXPECT_FALSE(mail.isSubdomainOf(name("ample.com")));  // label-wise, not text suffix
  EXPECT_FALSE(name("example.com").isSubdomainOf(mail));
  EXPECT_EQ(mail.parent().value(), name("example.com"));
  EXPECT_EQ(name("com").parent().value(), name("."));
  EXPECT_FALSE(name(".").parent().has_value());
}

TEST(DomainName, PrependValidatesTheNewLabel) {
  EXPECT_EQ(name("example.com").prepend("_TCP").value().toString(), "_tcp.example.com.");
  EXPECT_EQ(name(".").prepend("com").value().toString(), "com.");
  EXPECT_FALSE(name("example.com").prepend("a.b"));
  EXPECT_FALSE(name("example.com").prepend(""));
  EXPECT_FALSE(name("*.example.com").prepend("a"));
}

}  // namespace
}  // namespace daneguard
