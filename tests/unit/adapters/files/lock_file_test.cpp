#include "adapters/files/lock_file.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/temp_dir.hpp"

namespace daneguard::adapters::files {
namespace {

// flock locks belong to the open file description, so a second acquire() in the same process
// conflicts exactly as a second process would.
TEST(LockFile, SecondAcquireFailsWhileTheFirstIsHeldAndNamesTheHolder) {
  testing::TempDir dir;
  const auto path = dir.path() / "daneguard.lock";
  auto first = LockFile::acquire(path);
  ASSERT_TRUE(first) << first.error().message;
  const auto second = LockFile::acquire(path);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, ErrorKind::Transient);
  EXPECT_NE(second.error().message.find("pid " + std::to_string(::getpid())), std::string::npos);
}

TEST(LockFile, ReleasedWhenTheHolderGoesAway) {
  testing::TempDir dir;
  const auto path = dir.path() / "daneguard.lock";
  { ASSERT_TRUE(LockFile::acquire(path)); }
  EXPECT_TRUE(LockFile::acquire(path));
}

TEST(LockFile, AnotherProcessIsLockedOutUntilTheHolderExits) {
  testing::TempDir dir;
  const auto path = dir.path() / "daneguard.lock";
  auto held = LockFile::acquire(path);
  ASSERT_TRUE(held);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(LockFile::acquire(path) ? 0 : 75);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(WEXITSTATUS(status), 75);
}

}  // namespace
}  // namespace daneguard::adapters::files
