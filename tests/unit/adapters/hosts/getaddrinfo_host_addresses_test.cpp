// The system-resolver adapter: literals map to themselves, v4 comes before v6, and a name that
// cannot resolve is an error naming it (RFC 6761 reserves .invalid, so it never resolves).
#include "adapters/hosts/getaddrinfo_host_addresses.hpp"

#include <gtest/gtest.h>

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
}

}  // namespace
}  // namespace daneguard::testing
