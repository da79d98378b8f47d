// TSIG key sources without servers: BIND key file grammar (as tsig-keygen writes it, plus
// comments and several keys), malformed files with line numbers, secret files, environment,
// algorithm policy (md5 refused), and that no message ever quotes a secret.
#include "adapters/dns/tsig_key.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "integration/support/secret_scan.hpp"
#include "ports/dns_query.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

namespace daneguard::adapters::dns {
namespace {

using daneguard::testing::MessageLog;
using daneguard::testing::TempDir;

constexpr const char* kSecret = "c2VjcmV0LWNhbmFyeS1mb3ItdGVzdHMtb25seS0xMjM0NTY=";  // 35 bytes

class TsigKeyTest : public ::testing::Test {
 protected:
  void TearDown() override {
    EXPECT_EQ(log_.findLeak(kSecret), "") << "a message leaked the secret";
  }
  template <class T>
  Error expectError(const Result<T>& result) {
    EXPECT_FALSE(result.has_value());
    if (result) return Error{ErrorKind::Internal, "unexpected success"};
    log_.note(result.error());
    return result.error();
  }
  MessageLog log_;
};

TEST_F(TsigKeyTest, ParsesWhatTsigKeygenWrites) {
  if (!daneguard::testing::programExists("tsig-keygen")) GTEST_SKIP() << "tsig-keygen missing";
  for (const char* algorithm : {"hmac-sha256", "hmac-sha512", "hmac-sha1"}) {
    auto generated = daneguard::testing::runCommand({"tsig-keygen", "-a", algorithm, "upd"});
    ASSERT_EQ(generated.exit_code, 0);
    auto key = TsigKey::fromBindKeyText(generated.out, "generated.key");
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(key->name(), "upd");
    EXPECT_EQ(tsigAlgorithmName(key->algorithm()), algorithm);
    EXPECT_EQ(key->describe(), std::string("TSIG key 'upd' (") + algorithm + ")");
  }
}

TEST_F(TsigKeyTest, AcceptsCommentsAndPicksOneOfSeveralKeys) {
  const std::string text =
      std::string("# hash comment\n// slash comment\n/* block\n comment */\n") +
      "key \"first\" { algorithm hmac-sha512; secret \"" + kSecret + "\"; };\n" +
      "key second {\n  algorithm HMAC-SHA256; # trailing\n  secret \"" + kSecret + "\";\n};\n";
  auto second = TsigKey::fromBindKeyText(text, "keys.conf", "second");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->algorithm(), TsigAlgorithm::HmacSha256);
  auto first = TsigKey::fromBindKeyText(text, "keys.conf", "FIRST.");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->algorithm(), TsigAlgorithm::HmacSha512);

  const auto ambiguous = expectError(TsigKey::fromBindKeyText(text, "keys.conf"));
  EXPECT_NE(ambiguous.message.find("'first', 'second'"), std::string::npos) << ambiguous.message;
  const auto missing = expectError(TsigKey::fromBindKeyText(text, "keys.conf", "third"));
  EXPECT_NE(missing.message.find("no key named 'third'"), std::string::npos) << missing.message;
}

struct MalformedCase {
  const char* text;
  const char* expected;  // substring of the message, including "file:line:"
};

TEST_F(TsigKeyTest, MalformedFilesNameTheLine) {
  const std::string s = kSecret;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"key \"a\" {\n algorithm hmac-sha256;\n secret \"" + s + "\"\n};\n",
       "bad.key:4: expected ';' after the value, found '}'"},
      {"key \"a\" \n algorithm hmac-sha256;", "bad.key:2: expected '{' after the key name"},
      {"\n\nkey \"a\" { algorithm hmac-sha256; };", "bad.key:3: key 'a' has no 'secret'"},
      {"key \"a\" { secret \"" + s + "\"; };", "bad.key:1: key 'a' has no 'algorithm'"},
      {"key \"a\" {\n algorithm hmac-sha256;\n secret " + s.substr(0, 44) + ";\n};",
       "bad.key:3: the secret of key 'a' must be a quoted base64 string"},
      {"key \"a\" {\n algorithm hmac-sha256;\n secret \"not*base64\";\n};",
       "bad.key:3: the secret of key 'a' is not valid base64"},
      {"key \"a\" {\n algorithm hmac-sha256;\n secret \"abc\";\n};",
       "bad.key:3: the secret of key 'a' is not valid base64 (length"},
      {"key \"a\" {\n algorithm hmac-sha256;\n secret \"" + s + "\";\n",
       "bad.key:1: key 'a' opened here is missing its '}'"},
      {"/* never closed\n\n", "bad.key:1: comment opened here is never closed"},
      {"key \"a\" {\n algorithm hmac-sha256;\n secret \"" + s + ";\n};\n",
       "bad.key:3: quoted string opened here is never closed"},
      {"options { };", "bad.key:1: expected a 'key' statement, found 'options'"},
      {"key \"a\" {\n algorithm hmac-sha256;\n color blue;\n};",
       "bad.key:3: expected 'algorithm' or 'secret' in key 'a', found 'color'"},
      {"key \"a\" {\n algorithm hmac-md5;\n secret \"" + s + "\";\n};",
       "bad.key:2: key 'a': TSIG algorithm hmac-md5 is refused"},
      {"key \"a\" {\n algorithm hmac-sha384;\n secret \"" + s + "\";\n};",
       "bad.key:2: key 'a': TSIG algorithm hmac-sha384 is not supported"},
      {"# only a comment\n", "bad.key: no 'key' statement found"},
  };
  for (const auto& [text, expected] : cases) {
    const auto error = expectError(TsigKey::fromBindKeyText(text, "bad.key"));
    EXPECT_EQ(error.kind, ErrorKind::Config) << text;
    EXPECT_NE(error.message.find(expected), std::string::npos)
        << "text:\n"
        << text << "\nmessage: " << error.message << "\nexpected: " << expected;
  }
}

TEST_F(TsigKeyTest, Md5IsRefusedEverywhere) {
  for (const char* name : {"hmac-md5", "HMAC-MD5", "hmac-md5.sig-alg.reg.int."}) {
    const auto error = expectError(TsigKey::create("k", name, kSecret, "test"));
    EXPECT_EQ(error.kind, ErrorKind::Config);
    EXPECT_NE(error.message.find("hmac-md5 is refused"), std::string::npos) << error.message;
  }
}

TEST_F(TsigKeyTest, ValidatesBase64Strictly) {
  EXPECT_EQ(validateBase64Secret("AAAA").value(), 3u);
  EXPECT_EQ(validateBase64Secret("AAA=").value(), 2u);
  EXPECT_EQ(validateBase64Secret(" AA\nA= ").value(), 2u);
  for (const char* bad : {"", "   ", "AAA", "A===", "AA=A", "AA!A", "===="}) {
    const auto result = validateBase64Secret(bad);
    EXPECT_FALSE(result.has_value()) << bad;
  }
}

TEST_F(TsigKeyTest, SecretFileAndEnvironment) {
  TempDir dir;
  const auto path = dir.write("secret", std::string("  ") + kSecret + "\n");
  auto from_file = TsigKey::fromSecretFile(path, "Upd.", "hmac-sha512");
  ASSERT_TRUE(from_file) << from_file.error().message;
  EXPECT_EQ(from_file->name(), "upd");
  EXPECT_EQ(from_file->algorithm(), TsigAlgorithm::HmacSha512);

  const auto bad_path = dir.write("bad", "not base64!\n");
  const auto bad = expectError(TsigKey::fromSecretFile(bad_path, "upd"));
  EXPECT_NE(bad.message.find(bad_path.string()), std::string::npos) << bad.message;
  const auto missing = expectError(TsigKey::fromSecretFile(dir.path() / "nope", "upd"));
  EXPECT_EQ(missing.kind, ErrorKind::NotFound);

  ::unsetenv(kTsigKeyNameVariable);
  ::unsetenv(kTsigSecretVariable);
  const auto unset = expectError(TsigKey::fromEnvironment());
  EXPECT_NE(unset.message.find("DANEBOT_RFC2136_TSIG_KEY"), std::string::npos);
  ::setenv(kTsigKeyNameVariable, "env-key", 1);
  ::setenv(kTsigSecretVariable, "%%%%", 1);
  const auto invalid = expectError(TsigKey::fromEnvironment());
  EXPECT_NE(invalid.message.find("not valid base64"), std::string::npos) << invalid.message;
  ::setenv(kTsigSecretVariable, kSecret, 1);
  auto from_env = TsigKey::fromEnvironment();
  ASSERT_TRUE(from_env) << from_env.error().message;
  EXPECT_EQ(from_env->name(), "env-key");
  ::unsetenv(kTsigKeyNameVariable);
  ::unsetenv(kTsigSecretVariable);
}

TEST_F(TsigKeyTest, MovedFromKeyKeepsNoSecret) {
  auto key = TsigKey::create("k", "hmac-sha256", kSecret, "test");
  ASSERT_TRUE(key);
  TsigKey moved = std::move(*key);
  EXPECT_EQ(moved.name(), "k");
  EXPECT_EQ(moved.describe().find(kSecret), std::string::npos);
}

TEST(DnsServerParse, AcceptsHostPortAndBracketedIpv6) {
  using ports::parseDnsServer;
  EXPECT_EQ(parseDnsServer("127.0.0.1:5353").value(), (ports::DnsServer{"127.0.0.1", 5353}));
  EXPECT_EQ(parseDnsServer("ns1.example.").value(), (ports::DnsServer{"ns1.example.", 53}));
  EXPECT_EQ(parseDnsServer("[::1]:53").value(), (ports::DnsServer{"::1", 53}));
  EXPECT_EQ(parseDnsServer("[2001:db8::1]").value(), (ports::DnsServer{"2001:db8::1", 53}));
  EXPECT_EQ(parseDnsServer("::1").value(), (ports::DnsServer{"::1", 53}));
  EXPECT_EQ((ports::DnsServer{"::1", 53}).toString(), "[::1]:53");
  for (const char* bad : {"", ":53", "[::1", "[::1]x", "host:", "host:0", "host:65536", "h:5x"})
    EXPECT_FALSE(parseDnsServer(bad).has_value()) << bad;
}

}  // namespace
}  // namespace daneguard::adapters::dns
