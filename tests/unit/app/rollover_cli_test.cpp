// Drives the daneguard binary's rollover commands as an operator would: argument errors are
// usage errors (64), and an unreachable DNS server is a clear temporary failure (75) that names
// it, for `status`, `plan`, `run` and the DaneBot-style invocation without a subcommand.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"

namespace daneguard::testing {
namespace {

CommandResult daneguardWithEnvironment(const std::vector<std::string>& environment,
                                       const std::vector<std::string>& arguments) {
  std::vector<std::string> argv = withoutDaneguardEnvironment();
  argv.insert(argv.end(), environment.begin(), environment.end());
  argv.emplace_back(DANEGUARD_BINARY);
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return runCommand(argv);
}

/// A loopback UDP port nobody listens on: queries get "port unreachable" at once.
std::uint16_t deadLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  close(fd);
  return ntohs(address.sin_port);
}

struct DeadServerSetup {
  TempDir dir;
  std::uint16_t port = deadLoopbackPort();
  std::string server = "127.0.0.1:" + std::to_string(port);
  std::string bundle = (testPkiDir("ecdsa-p256") / "combined.pem").string();
  std::string config;

  DeadServerSetup() {
    config = dir.write("daneguard.toml",
                       "state_dir = \"" + (dir.path() / "state").string() +
                           "\"\n"
                           "[publishers.primary]\ntype = \"rfc2136\"\nserver = \"" +
                           server +
                           "\"\ntsig_key_name = \"upd\"\n"
                           "tsig_secret_env = \"DANEGUARD_TEST_SECRET_NOT_SET\"\n"
                           "[[services]]\nname = \"mail\"\nhosts = [\"mail.example.test\"]\n"
                           "ports = [25]\npublisher = \"primary\"\n"
                           "[services.certificate]\ntype = \"pem\"\npath = \"" +
                           bundle +
                           "\"\n[services.deploy]\ntype = \"hook\"\ncommand = [\"/bin/true\"]\n")
                 .string();
  }
};

TEST(RolloverCli, ArgumentErrorsAreUsageErrors) {
  const std::vector<std::vector<std::string>> cases{
      {"run", "--no-such-option"},
      {"plan", "--tcp", "0"},
      {"plan", "--wait"},  // only run waits; no root option may slip in
      {"status", "--hook"},
      {"run", "--cache-factor", "0"},
      {"--cert-file", "/x.pem", "-d", "mail.example.test"},  // DaneBot style, --tcp missing
      {"run", "--log-format", "xml"},
  };
  for (const auto& arguments : cases) {
    const CommandResult result = daneguardWithEnvironment({}, arguments);
    EXPECT_EQ(result.exit_code, 64) << arguments[0] << " " << arguments[1] << ": " << result.err;
    EXPECT_FALSE(result.err.empty());
  }
}

TEST(RolloverCli, StatusAndPlanReportAnUnreachableServerAsTemporary) {
  DeadServerSetup setup;
  for (const std::string command : {"status", "plan"}) {
    const CommandResult result = daneguardWithEnvironment({}, {command, "-c", setup.config});
    EXPECT_EQ(result.exit_code, 75) << command << ": " << result.err;
    EXPECT_NE(result.err.find(setup.server), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("service mail"), std::string::npos) << result.err;
    EXPECT_FALSE(std::filesystem::exists(setup.dir.path() / "state")) << command;
  }
}

TEST(RolloverCli, StatusJsonNamesTheServiceAndTheError) {
  DeadServerSetup setup;
  const CommandResult result =
      daneguardWithEnvironment({}, {"status", "--json", "-c", setup.config});
  EXPECT_EQ(result.exit_code, 75) << result.err;
  EXPECT_NE(result.out.find("\"service\": \"mail\""), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\"kind\": \"transient\""), std::string::npos) << result.out;
}

TEST(RolloverCli, DanebotInvocationWithoutSubcommandRunsAgainstTheGivenServer) {
  DeadServerSetup setup;
  const std::string state = (setup.dir.path() / "danebot-state").string();
  const CommandResult result = daneguardWithEnvironment(
      {"DANEBOT_RFC2136_TSIG_KEY=upd", "DANEBOT_RFC2136_TSIG_SECRET=c2VjcmV0c2VjcmV0"},
      {"--cert-file", setup.bundle, "-d", "mail.example.test", "--tcp", "25", "--hook", "/bin/true",
       "--rfc2136-nameserver", setup.server, "--state-dir", state});
  EXPECT_EQ(result.exit_code, 75) << result.err;
  EXPECT_NE(result.err.find(setup.server), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("service danebot"), std::string::npos) << result.err;
  // `run` semantics: the state directory and its lock were taken before observing.
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(state) / "daneguard.lock"));
  EXPECT_EQ(result.err.find("c2VjcmV0c2VjcmV0"), std::string::npos);
}

TEST(RolloverCli, SecretOnTheCommandLineIsWarnedAboutButNeverPrinted) {
  DeadServerSetup setup;
  const CommandResult result = daneguardWithEnvironment(
      {}, {"plan", "--cert-file", setup.bundle, "-d", "mail.example.test", "--tcp", "25", "--hook",
           "/bin/true", "--rfc2136-nameserver", setup.server, "--rfc2136-tsig-key", "upd",
           "--rfc2136-tsig-secret", "c2VjcmV0c2VjcmV0", "--probe"});
  EXPECT_EQ(result.exit_code, 75) << result.err;
  EXPECT_NE(result.err.find("DANEBOT_RFC2136_TSIG_SECRET"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("c2VjcmV0c2VjcmV0"), std::string::npos);
  EXPECT_EQ(result.out.find("c2VjcmV0c2VjcmV0"), std::string::npos);
}

TEST(RolloverCli, JsonLogFormatWritesOneObjectPerLine) {
  DeadServerSetup setup;
  const CommandResult result = daneguardWithEnvironment(
      {}, {"plan", "--log-format", "json", "--cert-file", setup.bundle, "-d", "mail.example.test",
           "--tcp", "25", "--hook", "/bin/true", "--rfc2136-nameserver", setup.server,
           "--rfc2136-tsig-key", "upd", "--rfc2136-tsig-secret", "c2VjcmV0"});
  EXPECT_EQ(result.exit_code, 75);
  const std::string first_line = result.err.substr(0, result.err.find('\n'));
  EXPECT_EQ(first_line.rfind("{\"level\":\"warning\"", 0), 0u) << result.err;
  EXPECT_NE(first_line.find("\"service\":\"danebot\""), std::string::npos);
  EXPECT_NE(first_line.find("\"time\":\""), std::string::npos);
}

}  // namespace
}  // namespace daneguard::testing
