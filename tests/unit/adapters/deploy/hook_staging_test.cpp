#include "adapters/deploy/hook_staging.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include "adapters/process/posix_hook_runner.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "unit/adapters/process/hook_script.hpp"

namespace daneguard::adapters::deploy {
namespace {

using namespace std::chrono_literals;
using testing::readWholeFile;
using testing::runCommand;
using testing::splitAtNul;
using testing::TempDir;
using testing::testPkiDir;
using testing::writeHookScript;

mode_t modeOf(const std::filesystem::path& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return 0;
  return status.st_mode & 07777;
}

openssl::LoadedCertificate loadTestCertificate(const std::string& key_type) {
  const auto pki = testPkiDir(key_type);
  openssl::CertificateFiles files;
  files.certificate = pki / "leaf.pem";
  files.chain = pki / "chain.pem";
  files.private_key = pki / "leaf.key";
  auto loaded = openssl::loadCertificateFiles(files);
  if (!loaded) throw std::runtime_error(loaded.error().message);
  return std::move(*loaded);
}

/// The public key as the openssl CLI derives it from `file` (a certificate or a private key).
std::string publicKeyOf(const std::filesystem::path& file, bool is_certificate) {
  const auto result =
      is_certificate ? runCommand({"openssl", "x509", "-in", file.string(), "-pubkey", "-noout"})
                     : runCommand({"openssl", "pkey", "-in", file.string(), "-pubout"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out;
}

/// What the hook recorded: its environment, and copies of the staged files with their modes
/// and the mode of their directory, taken while it ran.
struct HookRecord {
  std::map<std::string, std::string> environment;
  std::string modes;
  std::filesystem::path copies;
};

const char* kRecordingHook = R"sh(out="$1"
cat /proc/$$/environ > "$out/environ"
for f in "$DANEGUARD_CERT_FILE" "$DANEGUARD_CHAIN_FILE" "$DANEGUARD_FULLCHAIN_FILE" \
         "$DANEGUARD_KEY_FILE"; do
  cp "$f" "$out/copy-$(basename "$f")"
  stat -c '%n %a' "$f" >> "$out/modes"
done
stat -c 'dir %a' "$(dirname "$DANEGUARD_KEY_FILE")" >> "$out/modes"
printf '%s' "$DANEBOT_CERT" > "$out/danebot-cert.pem"
printf '%s' "$DANEBOT_KEY" > "$out/danebot-key.pem"
)sh";

class HookStaging : public ::testing::TestWithParam<std::string> {
 protected:
  ports::HookInvocation recordingInvocation(const StagedCertificate& staged) {
    ports::HookInvocation invocation;
    invocation.label = "deploy hook for service 'mail'";
    invocation.argv = {writeHookScript(work_, "hook", kRecordingHook).string(),
                       record_dir_.string()};
    invocation.environment = staged.hookEnvironment();
    invocation.timeout = 30s;
    return invocation;
  }

  HookRecord readRecord() const {
    HookRecord record;
    for (const std::string& entry : splitAtNul(readWholeFile(record_dir_ / "environ"))) {
      const auto equals = entry.find('=');
      record.environment[entry.substr(0, equals)] = entry.substr(equals + 1);
    }
    record.modes = readWholeFile(record_dir_ / "modes");
    record.copies = record_dir_;
    return record;
  }

  TempDir work_;
  TempDir state_;
  std::filesystem::path record_dir_ = work_.path() / "record";

  void SetUp() override { std::filesystem::create_directories(record_dir_); }
};

TEST_P(HookStaging, HookSeesExactlyTheDocumentedVariablesAndPrivateFiles) {
  const std::string canary = "tsig-canary-0c55e1";
  ::setenv("DANEBOT_RFC2136_TSIG_SECRET", canary.c_str(), 1);
  const auto certificate = loadTestCertificate(GetParam());
  std::filesystem::path staged_directory;
  {
    auto staged = StagedCertificate::stage(certificate, state_.path(), "mail",
                                           {"mail.example.test", "mx.example.test"});
    ASSERT_TRUE(staged) << staged.error().message;
    staged_directory = staged->directory();
    EXPECT_EQ(staged_directory.parent_path(), state_.path());
    const auto ran = process::PosixHookRunner().run(recordingInvocation(*staged));
    ASSERT_TRUE(ran) << ran.error().message;
  }
  ::unsetenv("DANEBOT_RFC2136_TSIG_SECRET");
  EXPECT_FALSE(std::filesystem::exists(staged_directory));

  const HookRecord record = readRecord();
  std::set<std::string> names;
  for (const auto& [name, value] : record.environment) {
    names.insert(name);
    EXPECT_EQ(value.find(canary), std::string::npos) << name;
  }
  const std::set<std::string> expected_names = {"PATH",
                                                "LANG",
                                                "DANEGUARD_CERT_FILE",
                                                "DANEGUARD_KEY_FILE",
                                                "DANEGUARD_CHAIN_FILE",
                                                "DANEGUARD_FULLCHAIN_FILE",
                                                "DANEGUARD_SERVICE",
                                                "DANEGUARD_HOSTS",
                                                "DANEBOT_CERT",
                                                "DANEBOT_KEY"};
  EXPECT_EQ(names, expected_names);
  EXPECT_EQ(record.environment.at("DANEGUARD_SERVICE"), "mail");
  EXPECT_EQ(record.environment.at("DANEGUARD_HOSTS"), "mail.example.test mx.example.test");
  EXPECT_EQ(record.environment.at("DANEGUARD_KEY_FILE"),
            (staged_directory / "privkey.pem").string());

  const std::string expected_modes = (staged_directory / "cert.pem").string() + " 600\n" +
                                     (staged_directory / "chain.pem").string() + " 600\n" +
                                     (staged_directory / "fullchain.pem").string() + " 600\n" +
                                     (staged_directory / "privkey.pem").string() + " 600\n" +
                                     "dir 700\n";
  EXPECT_EQ(record.modes, expected_modes);
}

// Contents cross-checked against the files the openssl CLI wrote for the test PKI.
TEST_P(HookStaging, StagedFilesMatchTheCertificateChainAndKey) {
  const auto pki = testPkiDir(GetParam());
  const auto certificate = loadTestCertificate(GetParam());
  {
    auto staged =
        StagedCertificate::stage(certificate, state_.path(), "mail", {"mail.example.test"});
    ASSERT_TRUE(staged) << staged.error().message;
    ASSERT_TRUE(process::PosixHookRunner().run(recordingInvocation(*staged)));
  }
  const auto copy = [&](const std::string& name) { return record_dir_ / ("copy-" + name); };
  EXPECT_EQ(readWholeFile(copy("cert.pem")), readWholeFile(pki / "leaf.pem"));
  EXPECT_EQ(readWholeFile(copy("chain.pem")), readWholeFile(pki / "chain.pem"));
  EXPECT_EQ(readWholeFile(copy("fullchain.pem")), readWholeFile(pki / "fullchain.pem"));
  EXPECT_EQ(readWholeFile(copy("fullchain.pem")),
            readWholeFile(copy("cert.pem")) + readWholeFile(copy("chain.pem")));

  const std::string leaf_public_key = publicKeyOf(pki / "leaf.pem", true);
  ASSERT_FALSE(leaf_public_key.empty());
  EXPECT_EQ(publicKeyOf(copy("privkey.pem"), false), leaf_public_key);
  EXPECT_TRUE(readWholeFile(copy("privkey.pem")).starts_with("-----BEGIN PRIVATE KEY-----\n"));

  // DaneBot compatibility: the leaf only, and the key in its traditional form.
  EXPECT_EQ(readWholeFile(record_dir_ / "danebot-cert.pem"), readWholeFile(pki / "leaf.pem"));
  const std::string danebot_key = readWholeFile(record_dir_ / "danebot-key.pem");
  EXPECT_EQ(publicKeyOf(record_dir_ / "danebot-key.pem", false), leaf_public_key);
  const std::map<std::string, std::string> expected_header = {
      {"rsa2048", "-----BEGIN RSA PRIVATE KEY-----"},
      {"ecdsa-p256", "-----BEGIN EC PRIVATE KEY-----"},
      {"ecdsa-p384", "-----BEGIN EC PRIVATE KEY-----"},
      {"ed25519", "-----BEGIN PRIVATE KEY-----"}};
  EXPECT_TRUE(danebot_key.starts_with(expected_header.at(GetParam()))) << danebot_key.substr(0, 40);
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, HookStaging, ::testing::ValuesIn(testing::testPkiKeyTypes()),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           std::erase(name, '-');
                           return name;
                         });

TEST(HookStagingCleanup, DirectoryIsRemovedWhenTheHookFails) {
  TempDir work;
  TempDir state;
  const auto certificate = loadTestCertificate("ecdsa-p256");
  std::filesystem::path staged_directory;
  {
    auto staged =
        StagedCertificate::stage(certificate, state.path(), "mail", {"mail.example.test"});
    ASSERT_TRUE(staged) << staged.error().message;
    staged_directory = staged->directory();
    ports::HookInvocation invocation;
    invocation.label = "deploy hook for service 'mail'";
    invocation.argv = {
        writeHookScript(work, "fails", "test -r \"$DANEGUARD_KEY_FILE\" && exit 4\n").string()};
    invocation.environment = staged->hookEnvironment();
    const auto ran = process::PosixHookRunner().run(invocation);
    ASSERT_FALSE(ran);
    EXPECT_TRUE(ran.error().message.find("status 4") != std::string::npos) << ran.error().message;
  }
  EXPECT_FALSE(std::filesystem::exists(staged_directory));
  EXPECT_TRUE(std::filesystem::is_empty(state.path()));
}

TEST(HookStagingCleanup, ModesHoldWhateverTheUmask) {
  TempDir state;
  const auto certificate = loadTestCertificate("ecdsa-p256");
  for (const mode_t umask_value : {mode_t{0}, mode_t{022}, mode_t{0777}}) {
    const mode_t previous = ::umask(umask_value);
    auto staged = StagedCertificate::stage(certificate, state.path(), "mail", {});
    ::umask(previous);
    ASSERT_TRUE(staged) << staged.error().message;
    EXPECT_EQ(modeOf(staged->directory()), 0700U) << "umask " << umask_value;
    EXPECT_EQ(modeOf(staged->keyFile()), 0600U) << "umask " << umask_value;
    EXPECT_EQ(modeOf(staged->certificateFile()), 0600U) << "umask " << umask_value;
  }
}

TEST(HookStagingCleanup, EveryRunGetsAFreshDirectoryAndMovingKeepsOwnership) {
  TempDir state;
  const auto certificate = loadTestCertificate("ecdsa-p256");
  auto first = StagedCertificate::stage(certificate, state.path(), "mail", {});
  auto second = StagedCertificate::stage(certificate, state.path(), "mail", {});
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->directory(), second->directory());
  const auto first_directory = first->directory();
  StagedCertificate moved = std::move(*first);
  EXPECT_TRUE(std::filesystem::exists(first_directory));
  *second = std::move(moved);  // the directory second held is released
  EXPECT_TRUE(std::filesystem::exists(first_directory));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(state.path()), {}), 1);
}

TEST(HookStagingCleanup, CertificateWithoutKeyIsRefused) {
  TempDir state;
  openssl::CertificateFiles files;
  files.certificate = testPkiDir("ecdsa-p256") / "fullchain.pem";
  const auto certificate = openssl::loadCertificateFiles(files);
  ASSERT_TRUE(certificate) << certificate.error().message;
  const auto staged = StagedCertificate::stage(*certificate, state.path(), "mail", {});
  ASSERT_FALSE(staged);
  EXPECT_EQ(staged.error().kind, ErrorKind::InvalidInput);
  EXPECT_NE(staged.error().message.find("service 'mail'"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_empty(state.path()));
}

TEST(HookStagingCleanup, MissingStateDirectoryIsNotFound) {
  TempDir work;
  const auto certificate = loadTestCertificate("ecdsa-p256");
  const auto staged = StagedCertificate::stage(certificate, work.path() / "absent", "mail", {});
  ASSERT_FALSE(staged);
  EXPECT_EQ(staged.error().kind, ErrorKind::NotFound);
  EXPECT_NE(staged.error().message.find((work.path() / "absent").string()), std::string::npos);
}

// After a crash between staging and cleanup, the next run (holding the lock) clears leftovers
// and nothing else.
TEST(HookStagingCleanup, StaleStagingDirectoriesAreRemovedOthersKept) {
  TempDir state;
  state.write("hook-staging-abc123/privkey.pem", "key");
  state.write("state.db", "db");
  state.write("keys/next.key", "k");
  ASSERT_TRUE(removeStaleHookStaging(state.path()));
  EXPECT_FALSE(std::filesystem::exists(state.path() / "hook-staging-abc123"));
  EXPECT_TRUE(std::filesystem::exists(state.path() / "state.db"));
  EXPECT_TRUE(std::filesystem::exists(state.path() / "keys/next.key"));
}

}  // namespace
}  // namespace daneguard::adapters::deploy
