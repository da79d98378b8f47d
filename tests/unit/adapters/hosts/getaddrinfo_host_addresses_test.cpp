// The system-resolver adapter: literals map to themselves, v4 comes before v6, and a name that
// cannot resolve is an error naming it (RFC 6761 reserves .invalid, so it never resolves).
#include "adapters/hosts/getaddrinfo_host_addresses.hpp"

#include <gtest/gtest.h>

#include "adapters/resolver/system_address_lookup.hpp"

namespace daneguard::testing {
namespace {

TEST(GetaddrinfoHostAddresses, LiteralsMapToThemselves) {
  adapters::hosts::GetaddrinfoHostAddresses resolver;
  EXPECT_EQ(*resolver.resolve("127.0.0.1"), std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(*resolver.resolve("::1"), std::vector<std::string>{"::1"});
  EXPECT_EQ(*resolver.resolve("2001:db8::25"), std::vector<std::string>{"2001:db8::25"});
}

TEST(GetaddrinfoHostAddresses, UnknownNameIsAnErrorNamingIt) {
  adapters::hosts::GetaddrinfoHostAddresses resolver;
  const auto result = resolver.resolve("no-such-host.invalid");
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("no-such-host.invalid"), std::string::npos);
  EXPECT_EQ(result.error().kind, ErrorKind::NotFound);
}

// verify --tlsa goes through the same adapter: unvalidated (Insecure) answers, and a name
// without addresses is an empty answer rather than an error.
TEST(SystemAddressLookup, AnswersThroughTheSameResolverAsInsecure) {
  adapters::resolver::SystemAddressLookup lookup;
  const auto literal = lookup.addresses("::1");
  ASSERT_TRUE(literal.has_value()) << literal.error().message;
  EXPECT_EQ(literal->addresses, std::vector<std::string>{"::1"});
  EXPECT_EQ(literal->status, ports::DnssecStatus::Insecure);
  const auto missing = lookup.addresses("no-such-host.invalid");
  ASSERT_TRUE(missing.has_value()) << missing.error().message;
  EXPECT_TRUE(missing->addresses.empty());
  EXPECT_EQ(missing->host, "no-such-host.invalid");
  EXPECT_FALSE(lookup.tlsa("_443._tcp.example.test.").has_value());
}

}  // namespace
}  // namespace daneguard::testing
