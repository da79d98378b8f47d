// API tokens from files and the environment: trimmed, refused when empty or ambiguous, and
// never repeated in an error message.
#include "adapters/http/api_token.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "support/temp_dir.hpp"

namespace daneguard::adapters::http {
namespace {

using testing::TempDir;

TEST(ApiToken, AFileIsReadWithoutSurroundingWhiteSpace) {
  TempDir dir;
  auto token = readTokenFile(dir.write("token", "  abc123-XYZ\n").string());
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(token->revealText(), "abc123-XYZ");
}

TEST(ApiToken, EmptyOrMultiWordFilesAreRefusedWithoutShowingTheContent) {
  TempDir dir;
  const auto empty = readTokenFile(dir.write("empty", "\n\n").string());
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind, ErrorKind::Config);
  EXPECT_NE(empty.error().message.find("is empty"), std::string::npos);
  const auto two = readTokenFile(dir.write("two", "secret-one\nsecret-two\n").string());
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().message.find("secret-one"), std::string::npos) << two.error().message;
  EXPECT_NE(two.error().message.find(dir.path().string()), std::string::npos);
}

TEST(ApiToken, AMissingFileNamesThePath) {
  const auto missing = readTokenFile("/nonexistent/daneguard-token");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
  EXPECT_NE(missing.error().message.find("/nonexistent/daneguard-token"), std::string::npos);
}

TEST(ApiToken, TheEnvironmentVariableIsReadAndAnUnsetOneIsNamed) {
  ::setenv("DANEGUARD_TEST_API_TOKEN", "tok-987\n", 1);
  auto token = readTokenEnvironment("DANEGUARD_TEST_API_TOKEN");
  ::unsetenv("DANEGUARD_TEST_API_TOKEN");
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(token->revealText(), "tok-987");
  const auto unset = readTokenEnvironment("DANEGUARD_TEST_API_TOKEN");
  ASSERT_FALSE(unset);
  EXPECT_NE(unset.error().message.find("DANEGUARD_TEST_API_TOKEN"), std::string::npos);
}

}  // namespace
}  // namespace daneguard::adapters::http
