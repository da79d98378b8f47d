#include "adapters/openssl/pem_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "support/temp_dir.hpp"
#include "support/unprivileged.hpp"

namespace daneguard::adapters::openssl {
namespace {

using daneguard::testing::TempDir;

TEST(ReadPemFile, ReadsTheWholeFile) {
  const TempDir dir;
  const auto file = dir.write("a.pem", "line one\r\nline two\n");
  const auto content = readPemFile(file);
  ASSERT_TRUE(content) << content.error().message;
  EXPECT_EQ(content->revealText(), "line one\r\nline two\n");
}

TEST(ReadPemFile, MissingFileIsNotFound) {
  const TempDir dir;
  const auto missing = dir.path() / "nope.pem";
  const auto content = readPemFile(missing);
  ASSERT_FALSE(content);
  EXPECT_EQ(content.error().kind, ErrorKind::NotFound);
  EXPECT_EQ(content.error().message, missing.string() + ": no such file");
  EXPECT_EQ(readPemFile(dir.path() / "no-dir" / "x.pem").error().kind, ErrorKind::NotFound);
}

TEST(ReadPemFile, DirectoryIsRefused) {
  const TempDir dir;
  const auto content = readPemFile(dir.path());
  ASSERT_FALSE(content);
  EXPECT_EQ(content.error().kind, ErrorKind::InvalidInput);
  EXPECT_EQ(content.error().message,
            dir.path().string() + ": is a directory, expected a certificate or key file");
}

TEST(ReadPemFile, FifoIsRefusedWithoutBlocking) {
  const TempDir dir;
  const auto fifo = dir.path() / "fifo.pem";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto content = readPemFile(fifo);
  ASSERT_FALSE(content);
  EXPECT_NE(content.error().message.find("is not a regular file"), std::string::npos);
}

TEST(ReadPemFile, UnreadableFileIsPermission) {
  const TempDir dir;
  std::filesystem::permissions(
      dir.path(), std::filesystem::perms::owner_all | std::filesystem::perms::others_exec);
  const auto file = dir.write("secret.pem", "x");
  std::filesystem::permissions(file, std::filesystem::perms::none);
  const auto check = [&file] {
    const auto content = readPemFile(file);
    return !content && content.error().kind == ErrorKind::Permission &&
           content.error().message.starts_with(file.string() + ": cannot read: ");
  };
  EXPECT_TRUE(testing::runUnprivileged(check));
}

TEST(ReadPemFile, EmptyFileIsRefused) {
  const TempDir dir;
  const auto file = dir.write("empty.pem", "");
  const auto content = readPemFile(file);
  ASSERT_FALSE(content);
  EXPECT_EQ(content.error().message, file.string() + ": file is empty");
}

TEST(ReadPemFile, SizeLimitIsExactlyOneMebibyte) {
  const TempDir dir;
  const auto at_limit = dir.write("limit.pem", std::string(1024 * 1024, 'a'));
  const auto read = readPemFile(at_limit);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->size(), 1024U * 1024U);

  const auto over = dir.write("over.pem", std::string(1024 * 1024 + 1, 'a'));
  const auto refused = readPemFile(over);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::InvalidInput);
  EXPECT_EQ(refused.error().message,
            over.string() +
                ": file is 1048577 bytes, over the 1 MiB limit for a certificate or "
                "key file");
}

}  // namespace
}  // namespace daneguard::adapters::openssl
