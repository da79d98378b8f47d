#include "core/error.hpp"

#include <gtest/gtest.h>

namespace daneguard {
namespace {

TEST(Error, ContextIsPrefixedToTheMessage) {
  const Error error{ErrorKind::InvalidInput, "not a PEM file"};
  EXPECT_EQ(error.withContext("/etc/ssl/x.pem").message, "/etc/ssl/x.pem: not a PEM file");
  EXPECT_EQ(Error(error).withContext("a").withContext("b").message, "b: a: not a PEM file");
}

TEST(Error, ExitCodesFollowSysexits) {
  EXPECT_EQ(exitCodeFor(ErrorKind::Usage), 64);
  EXPECT_EQ(exitCodeFor(ErrorKind::InvalidInput), 65);
  EXPECT_EQ(exitCodeFor(ErrorKind::NotFound), 66);
  EXPECT_EQ(exitCodeFor(ErrorKind::Transient), 75);
  EXPECT_EQ(exitCodeFor(ErrorKind::Permission), 77);
  EXPECT_EQ(exitCodeFor(ErrorKind::Config), 78);
  EXPECT_EQ(exitCodeFor(ErrorKind::VerificationFailed), 1);
}

TEST(Error, FailBuildsAnUnexpectedResult) {
  const Result<int> result = fail(ErrorKind::Config, "unknown key 'foo'");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, ErrorKind::Config);
  EXPECT_EQ(errorKindName(result.error().kind), "config");
}

}  // namespace
}  // namespace daneguard
