// The deploy hook of a service with dual certificates (RSA + ECDSA) gets both in one run: the
// unsuffixed variables describe the primary, the _RSA / _ECDSA ones each certificate, and the
// files hold what the openssl CLI wrote for the test PKI.
#include "adapters/deploy/hook_deployer.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "adapters/openssl/pem_bundle.hpp"
#include "adapters/process/posix_hook_runner.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "unit/adapters/process/hook_script.hpp"

namespace daneguard::adapters::deploy {
namespace {

using namespace std::chrono_literals;
using testing::readWholeFile;
using testing::splitAtNul;
using testing::TempDir;
using testing::testPkiDir;
using testing::writeHookScript;

LoadedCertificate loadTestCertificate(const std::string& key_type) {
  const auto pki = testPkiDir(key_type);
  auto loaded = openssl::loadCertificateFiles({.certificate = pki / "fullchain.pem",
                                               .chain = {},
                                               .fullchain = {},
                                               .private_key = pki / "leaf.key"});
  if (!loaded) throw std::runtime_error(loaded.error().message);
  return std::move(*loaded);
}

// Copies every file the variables name while the hook runs (they are gone afterwards).
const char* kRecordingHook = R"sh(out="$1"
cat /proc/$$/environ > "$out/environ"
for type in $DANEGUARD_KEY_TYPES; do
  eval cp "\"\$DANEGUARD_FULLCHAIN_FILE_$type\"" "$out/fullchain-$type.pem"
  eval cp "\"\$DANEGUARD_KEY_FILE_$type\"" "$out/privkey-$type.pem"
  eval cp "\"\$DANEGUARD_CERT_FILE_$type\"" "$out/cert-$type.pem"
done
cp "$DANEGUARD_FULLCHAIN_FILE" "$out/fullchain-primary.pem"
)sh";

config::Service hookService(const std::filesystem::path& hook, const std::filesystem::path& out) {
  config::Service service;
  service.name = "mail";
  service.hosts = {"mail.example.test"};
  service.deploy = config::HookDeploy{{hook.string(), out.string()}, 30s};
  return service;
}

std::map<std::string, std::string> recordedEnvironment(const std::filesystem::path& out) {
  std::map<std::string, std::string> environment;
  for (const std::string& entry : splitAtNul(readWholeFile(out / "environ"))) {
    const auto equals = entry.find('=');
    environment[entry.substr(0, equals)] = entry.substr(equals + 1);
  }
  return environment;
}

TEST(HookDeployer, DualCertificatesReachOneHookRunByKeyType) {
  TempDir work;
  TempDir state;
  const auto out = work.path() / "out";
  std::filesystem::create_directories(out);
  const auto hook = writeHookScript(work, "hook", kRecordingHook);
  std::vector<LoadedCertificate> certificates;
  certificates.push_back(loadTestCertificate("rsa2048"));
  certificates.push_back(loadTestCertificate("ecdsa-p384"));

  process::PosixHookRunner runner;
  HookDeployer deployer(state.path(), runner);
  const config::Service service = hookService(hook, out);
  const auto deployed = deployer.deploy({service, certificates, "combined-id"});
  ASSERT_TRUE(deployed) << deployed.error().message;

  const auto environment = recordedEnvironment(out);
  EXPECT_EQ(environment.at("DANEGUARD_KEY_TYPES"), "RSA ECDSA");
  EXPECT_EQ(environment.at("DANEGUARD_CERTIFICATE_ID"), "combined-id");
  EXPECT_EQ(environment.at("DANEGUARD_CERT_FILE"), environment.at("DANEGUARD_CERT_FILE_RSA"));
  EXPECT_NE(environment.at("DANEGUARD_CERT_FILE_RSA"), environment.at("DANEGUARD_CERT_FILE_ECDSA"));
  for (const auto& [type, pki] : {std::pair{"RSA", "rsa2048"}, std::pair{"ECDSA", "ecdsa-p384"}}) {
    SCOPED_TRACE(type);
    EXPECT_EQ(readWholeFile(out / ("fullchain-" + std::string(type) + ".pem")),
              readWholeFile(testPkiDir(pki) / "fullchain.pem"));
    EXPECT_EQ(readWholeFile(out / ("cert-" + std::string(type) + ".pem")),
              readWholeFile(testPkiDir(pki) / "leaf.pem"));
    // The staged key is PKCS#8; compare the public half with what openssl derives.
    const auto staged = testing::runCommand(
        {"openssl", "pkey", "-in", (out / ("privkey-" + std::string(type) + ".pem")).string(),
         "-pubout"});
    const auto original = testing::runCommand(
        {"openssl", "pkey", "-in", (testPkiDir(pki) / "leaf.key").string(), "-pubout"});
    ASSERT_EQ(staged.exit_code, 0) << staged.err;
    EXPECT_EQ(staged.out, original.out);
  }
  EXPECT_EQ(readWholeFile(out / "fullchain-primary.pem"),
            readWholeFile(testPkiDir("rsa2048") / "fullchain.pem"));
  // Every staging directory is gone after the run.
  EXPECT_TRUE(std::filesystem::is_empty(state.path()));
}

TEST(HookDeployer, TwoCertificatesOfOneKeyTypeAreRefusedBeforeTheHookRuns) {
  TempDir work;
  TempDir state;
  const auto out = work.path() / "out";
  std::filesystem::create_directories(out);
  const auto hook = writeHookScript(work, "hook", kRecordingHook);
  std::vector<LoadedCertificate> certificates;
  certificates.push_back(loadTestCertificate("ecdsa-p256"));
  certificates.push_back(loadTestCertificate("ecdsa-p384"));
  process::PosixHookRunner runner;
  HookDeployer deployer(state.path(), runner);
  const config::Service service = hookService(hook, out);
  const auto deployed = deployer.deploy({service, certificates, "id"});
  ASSERT_FALSE(deployed);
  EXPECT_NE(deployed.error().message.find("two certificates with ECDSA keys"), std::string::npos)
      << deployed.error().message;
  EXPECT_FALSE(std::filesystem::exists(out / "environ"));
  EXPECT_TRUE(std::filesystem::is_empty(state.path()));
}

}  // namespace
}  // namespace daneguard::adapters::deploy
