#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <type_traits>

#include "core/secret.hpp"

namespace daneguard {
namespace {

template <class T>
concept Streamable = requires(std::ostream& out, const T& value) {
  out << value;
};

// The point of the type: a secret cannot be copied, printed or formatted by accident.
static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);
static_assert(!Streamable<SecretBytes>);
static_assert(!fmt::is_formattable<SecretBytes>::value);
static_assert(!std::is_convertible_v<SecretBytes, std::string_view>);

TEST(SecretBytes, HoldsACopyOfTheSource) {
  std::string source = "tsig-secret";
  const SecretBytes secret = SecretBytes::copyOf(source);
  source[0] = 'X';
  EXPECT_EQ(secret.revealText(), "tsig-secret");
  EXPECT_EQ(secret.size(), 11U);
}

TEST(SecretBytes, MovingLeavesTheSourceEmpty) {
  SecretBytes first = SecretBytes::copyOf(std::string_view("abc"));
  SecretBytes second = std::move(first);
  EXPECT_EQ(second.revealText(), "abc");
  EXPECT_TRUE(first.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is the API
  SecretBytes third = SecretBytes::copyOf(std::string_view("other"));
  third = std::move(second);
  EXPECT_EQ(third.revealText(), "abc");
  EXPECT_TRUE(second.empty());  // NOLINT(bugprone-use-after-move)
}

TEST(SecretBytes, ShrinkToKeepsThePrefixAndNeverGrows) {
  SecretBytes secret(8);
  EXPECT_EQ(secret.size(), 8U);
  EXPECT_EQ(secret.reveal()[7], 0);  // starts zeroed
  secret.revealMutable()[0] = 'k';
  secret.shrinkTo(1);
  EXPECT_EQ(secret.revealText(), "k");
  secret.shrinkTo(5);
  EXPECT_EQ(secret.size(), 1U);
}

TEST(SecretBytes, EmptyIsUsable) {
  const SecretBytes secret;
  EXPECT_TRUE(secret.empty());
  EXPECT_TRUE(secret.reveal().empty());
  EXPECT_TRUE(SecretBytes::copyOf(std::string_view()).empty());
}

}  // namespace
}  // namespace daneguard
