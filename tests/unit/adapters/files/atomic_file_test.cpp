#include "adapters/files/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "support/temp_dir.hpp"

namespace daneguard::adapters::files {
namespace {

std::string readAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

mode_t modeOf(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0);
  return info.st_mode & 07777;
}

std::size_t entriesIn(const std::filesystem::path& dir) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir))
    ++count;
  return count;
}

TEST(AtomicFile, WritesContentWithTheRequestedModeDespiteAPermissiveUmask) {
  testing::TempDir dir;
  const mode_t previous = ::umask(0);
  const auto key = dir.path() / "privkey.pem";
  const auto written = writeFileAtomically(key, "secret key", 0600);
  ::umask(previous);
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(readAll(key), "secret key");
  EXPECT_EQ(modeOf(key), 0600u);
}

TEST(AtomicFile, ReplacesExistingContentAndLeavesNoTemporaryFiles) {
  testing::TempDir dir;
  const auto cert = dir.write("cert.pem", "old");
  ASSERT_TRUE(writeFileAtomically(cert, "new", 0644));
  EXPECT_EQ(readAll(cert), "new");
  EXPECT_EQ(modeOf(cert), 0644u);
  EXPECT_EQ(entriesIn(dir.path()), 1u);
}

TEST(AtomicFile, FailureLeavesTheTargetUntouchedAndNamesThePath) {
  testing::TempDir dir;
  const auto target = dir.path() / "missing-folder" / "cert.pem";
  const auto written = writeFileAtomically(target, "new", 0644);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().kind, ErrorKind::NotFound);
  EXPECT_NE(written.error().message.find(target.string()), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST(AtomicFile, RenameOntoADirectoryFailsAndCleansUp) {
  testing::TempDir dir;
  std::filesystem::create_directory(dir.path() / "cert.pem");
  const auto written = writeFileAtomically(dir.path() / "cert.pem", "new", 0644);
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().message.find("rename"), std::string::npos);
  EXPECT_EQ(entriesIn(dir.path()), 1u);
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() / "cert.pem"));
}

}  // namespace
}  // namespace daneguard::adapters::files
