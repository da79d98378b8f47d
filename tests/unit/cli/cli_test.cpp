// Drives the real daneguard binary as an operator would, and checks its output against the
// openssl CLI (an independent implementation) and its exit codes against docs/exit-codes.md.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"

namespace daneguard::testing {
namespace {

CommandResult daneguard(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), DANEGUARD_BINARY);
  return runCommand(arguments);
}

// "3 1 1" data computed by the openssl CLI alone.
std::string opensslSpkiSha256(const std::filesystem::path& certificate) {
  const CommandResult result = runCommand(
      {"bash", "-c",
       "set -o pipefail; openssl x509 -in \"$1\" -pubkey -noout | openssl pkey -pubin -outform DER"
       " | openssl dgst -sha256 -r | cut -d' ' -f1",
       "oracle", certificate.string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::string digest = result.out;
  while (!digest.empty() && digest.back() == '\n')
    digest.pop_back();
  return digest;
}

TEST(CliTlsa, DefaultsTo311AndMatchesTheOpensslCliForEveryKeyType) {
  for (const std::string& type : testPkiKeyTypes()) {
    const auto dir = testPkiDir(type);
    const CommandResult result = daneguard({"tlsa", (dir / "combined.pem").string()});
    ASSERT_EQ(result.exit_code, 0) << type << ": " << result.err;
    EXPECT_EQ(result.out, "3 1 1 " + opensslSpkiSha256(dir / "leaf.pem") + "\n") << type;
    EXPECT_EQ(result.err, "") << type;
  }
}

TEST(CliTlsa, HostAndPortsGiveZoneFileLinesForEveryOwner) {
  const auto dir = testPkiDir("ecdsa-p256");
  const std::string digest = opensslSpkiSha256(dir / "leaf.pem");
  const CommandResult result = daneguard({"tlsa", "--host", "MX.example.test", "-p", "25", "-p",
                                          "465", "--ttl", "300", (dir / "fullchain.pem").string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "_25._tcp.mx.example.test. 300 IN TLSA 3 1 1 " + digest +
                            "\n_465._tcp.mx.example.test. 300 IN TLSA 3 1 1 " + digest + "\n");
}

TEST(CliTlsa, DaneTaNeedsTheChainAndPinsTheIssuer) {
  const auto dir = testPkiDir("rsa2048");
  const std::string issuer_digest = opensslSpkiSha256(dir / "intermediate.pem");
  const CommandResult with_chain =
      daneguard({"tlsa", "--usage", "dane-ta", "--chain", (dir / "chain.pem").string(),
                 (dir / "leaf.pem").string()});
  ASSERT_EQ(with_chain.exit_code, 0) << with_chain.err;
  EXPECT_EQ(with_chain.out, "2 1 1 " + issuer_digest + "\n");

  const CommandResult leaf_only = daneguard({"tlsa", "-u", "2", (dir / "leaf.pem").string()});
  EXPECT_EQ(leaf_only.exit_code, 65);
  EXPECT_NE(leaf_only.err.find("holds no issuer certificate"), std::string::npos) << leaf_only.err;
}

TEST(CliTlsa, RecordOptionTakesNamesAndNumbersAndWarnsAboutRenewalUnstableRecords) {
  const auto dir = testPkiDir("ecdsa-p384");
  const CommandResult result = daneguard(
      {"tlsa", "-r", "DANE-EE Cert SHA2-512", "-r", "3 1 1", (dir / "fullchain.pem").string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("3 0 2 "), std::string::npos);
  EXPECT_NE(result.out.find("3 1 1 " + opensslSpkiSha256(dir / "leaf.pem")), std::string::npos);
  EXPECT_NE(result.err.find("changes at every renewal"), std::string::npos);
}

TEST(CliTlsa, JsonCarriesParametersOwnerAndCertificate) {
  const auto dir = testPkiDir("ed25519");
  const CommandResult result =
      daneguard({"tlsa", "--json", "--host", "mail.example.test", (dir / "combined.pem").string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto document = nlohmann::json::parse(result.out);
  ASSERT_EQ(document["records"].size(), 1u);
  const auto& record = document["records"][0];
  EXPECT_EQ(record["owner"], "_25._tcp.mail.example.test.");
  EXPECT_EQ(record["usage"], 3);
  EXPECT_EQ(record["parameters"], "DANE-EE SPKI SHA2-256");
  EXPECT_EQ(record["data"], opensslSpkiSha256(dir / "leaf.pem"));
  EXPECT_EQ(record["certificate"]["key"], "Ed25519");
  EXPECT_EQ(record["certificate"]["subject"], "CN=mail.example.test");
}

TEST(CliTlsa, ErrorsNameTheProblemAndUseDocumentedExitCodes) {
  TempDir dir;
  const auto missing = daneguard({"tlsa", (dir.path() / "missing.pem").string()});
  EXPECT_EQ(missing.exit_code, 66);
  EXPECT_NE(missing.err.find("missing.pem"), std::string::npos);

  const auto garbage = daneguard({"tlsa", dir.write("garbage.pem", "hello\n").string()});
  EXPECT_EQ(garbage.exit_code, 65);
  EXPECT_NE(garbage.err.find("garbage.pem"), std::string::npos);

  const auto bad_usage =
      daneguard({"tlsa", "-u", "7", (testPkiDir("rsa2048") / "leaf.pem").string()});
  EXPECT_EQ(bad_usage.exit_code, 65);
  EXPECT_NE(bad_usage.err.find("--usage"), std::string::npos);

  const auto unknown_option = daneguard({"tlsa", "--frobnicate", "x.pem"});
  EXPECT_EQ(unknown_option.exit_code, 64);

  const auto mixed = daneguard({"tlsa", "-u", "3", "-r", "3 1 1", "x.pem"});
  EXPECT_EQ(mixed.exit_code, 64);
  EXPECT_NE(mixed.err.find("--record cannot be combined"), std::string::npos);
}

TEST(CliCheckConfig, AcceptsTheDocumentedExampleAndRejectsUnknownKeysWithExitCode78) {
  const auto example = std::filesystem::path(DANEGUARD_SOURCE_DIR) / "examples/daneguard.toml";
  const auto ok = daneguard({"check-config", example.string()});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find(": OK ("), std::string::npos);

  TempDir dir;
  const auto file = dir.write("bad.toml", "state_dir = \"/var/lib/daneguard\"\nstate_dri = 1\n");
  const auto bad = daneguard({"check-config", file.string()});
  EXPECT_EQ(bad.exit_code, 78);
  EXPECT_NE(bad.err.find(file.string() + ":2:1: unknown key 'state_dri'"), std::string::npos)
      << bad.err;
}

TEST(Cli, VersionAndHelpExitZero) {
  const auto version = daneguard({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("daneguard 0."), std::string::npos);
  EXPECT_EQ(daneguard({"tlsa", "--help"}).exit_code, 0);
  EXPECT_EQ(daneguard({}).exit_code, 64);
}

}  // namespace
}  // namespace daneguard::testing
