#include "adapters/publishers/external_program_publisher.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "adapters/process/posix_hook_runner.hpp"
#include "support/temp_dir.hpp"
#include "unit/adapters/process/hook_script.hpp"
#include "unit/adapters/publishers/fake_zone.hpp"

namespace daneguard::adapters::publishers {
namespace {

using testing::readWholeFile;
using testing::TempDir;
using testing::writeHookScript;

const std::string kOwner = "_25._tcp.mail.example.test.";
const std::string kZone = "example.test.";
const ports::DnsServer kServer{"127.0.0.1", 5300};

// A program in Alnitak's protocol, like Alnitak's own test fake (tests/bin/dns): it appends one
// line per call with what it was told, and answers with the exit status written in a file
// (default 0). "--not-up" makes a delete answer 1, "--is-up" makes a publish answer 1.
constexpr std::string_view kProgram = R"sh(
dir=$(dirname "$0")
printf '%s:%s:%s:%s:%s:%s:%s:%s:%s:%s:%s:%s:%s\n' "$TLSA_OPERATION" "$TLSA_PARAM" \
  "$TLSA_USAGE" "$TLSA_SELECTOR" "$TLSA_MATCHING" "$TLSA_PORT" "$TLSA_PROTOCOL" \
  "$TLSA_DOMAIN" "$TLSA_HASH" "${TLSA_LIVE_HASH-unset}" "$ZONE_DOMAIN" "$TLSA_TTL" "$*" \
  >> "$dir/calls"
case "$TLSA_OPERATION:$1" in
  publish:--is-up) exit 1 ;;
  delete:--not-up) echo "new record not up yet" >&2; exit 1 ;;
esac
if [ -f "$dir/status" ]; then echo "provider says no" >&2; exit "$(cat "$dir/status")"; fi
exit 0
)sh";

class ExternalProgramTest : public ::testing::Test {
 protected:
  ExternalProgramPublisher publisher(std::vector<std::string> arguments = {}) {
    config::ExternalProgramPublisher config;
    config.command = {program_.string()};
    for (auto& argument : arguments)
      config.command.push_back(argument);
    config.timeout = std::chrono::seconds(20);
    return ExternalProgramPublisher("script", config, runner_, zone_);
  }
  std::vector<std::string> calls() const {
    std::istringstream in(readWholeFile(dir_.path() / "calls"));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
    return lines;
  }
  ports::UpdateRequest request() const {
    ports::UpdateRequest request;
    request.server = kServer;
    request.zone = kZone;
    request.ttl_seconds = 600;
    return request;
  }

  TempDir dir_;
  std::filesystem::path program_ = writeHookScript(dir_, "tlsa-api", std::string(kProgram));
  process::PosixHookRunner runner_;
  FakeZone zone_;
};

const std::string kHashA(64, 'a');
const std::string kHashB(64, 'b');

TEST_F(ExternalProgramTest, PublishRunsTheProgramOncePerRecordWithAlnitaksVariables) {
  auto change = request();
  change.additions = {{kOwner, record311(0xaa)}, {"_465._tcp.mail.example.test.", record311(0xbb)}};
  auto p = publisher();
  auto outcome = p.apply(change);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->added, 2u);
  EXPECT_EQ(
      calls(),
      (std::vector<std::string>{
          "publish:311:3:1:1:25:tcp:mail.example.test:" + kHashA + ":unset:example.test:600:",
          "publish:311:3:1:1:465:tcp:mail.example.test:" + kHashB + ":unset:example.test:600:",
      }));
}

TEST_F(ExternalProgramTest, PublishAnsweredWithOneMeansAlreadyPublished) {
  auto change = request();
  change.additions = {{kOwner, record311(0xaa)}};
  auto p = publisher({"--is-up"});
  auto outcome = p.apply(change);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(calls().size(), 1u);
}

TEST_F(ExternalProgramTest, DeleteNamesARecordThatStaysAsTheLiveHash) {
  zone_.tlsa[kOwner] = {record311(0xaa), record311(0xbb)};
  auto change = request();
  change.deletions = {{kOwner, record311(0xaa)}};
  auto p = publisher();
  auto outcome = p.apply(change);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->deleted, 1u);
  EXPECT_EQ(calls(), (std::vector<std::string>{"delete:311:3:1:1:25:tcp:mail.example.test:" +
                                               kHashA + ":" + kHashB + ":example.test:600:"}));
}

TEST_F(ExternalProgramTest, DeleteOfTheLastRecordWithTheseParametersIsUnconditional) {
  zone_.tlsa[kOwner] = {record311(0xaa)};
  auto change = request();
  change.deletions = {{kOwner, record311(0xaa)}};
  auto p = publisher();
  ASSERT_TRUE(p.apply(change));
  ASSERT_EQ(calls().size(), 1u);
  EXPECT_NE(calls()[0].find(":unset:"), std::string::npos) << calls()[0];
}

TEST_F(ExternalProgramTest, NotUpYetOnDeleteKeepsTheOldRecordAndIsRetriedLater) {
  zone_.tlsa[kOwner] = {record311(0xaa), record311(0xbb)};
  auto change = request();
  change.deletions = {{kOwner, record311(0xaa)}};
  auto p = publisher({"--not-up"});
  auto outcome = p.apply(change);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::Transient);
  EXPECT_NE(outcome.error().message.find("not up yet"), std::string::npos);
  EXPECT_NE(outcome.error().message.find("publisher 'script'"), std::string::npos);
  EXPECT_NE(outcome.error().message.find(kZone), std::string::npos);
}

TEST_F(ExternalProgramTest, ExitTwoIsAnErrorNamingPublisherZoneAndTheProgramsStderr) {
  dir_.write("status", "2");
  auto change = request();
  change.additions = {{kOwner, record311(0xaa)}};
  auto p = publisher();
  auto outcome = p.apply(change);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::Rejected);
  EXPECT_NE(outcome.error().message.find("publisher 'script'"), std::string::npos);
  EXPECT_NE(outcome.error().message.find("zone example.test."), std::string::npos);
  EXPECT_NE(outcome.error().message.find("status 2"), std::string::npos);
  EXPECT_NE(outcome.error().message.find("provider says no"), std::string::npos);
}

TEST_F(ExternalProgramTest, ExitElevenIsNotMistakenForOne) {
  dir_.write("status", "11");
  auto change = request();
  change.additions = {{kOwner, record311(0xaa)}};
  auto p = publisher();
  auto outcome = p.apply(change);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::Rejected);
}

TEST_F(ExternalProgramTest, AFailedPrerequisiteRunsNothing) {
  zone_.tlsa[kOwner] = {record311(0xcc)};  // someone changed the RRset since it was observed
  auto change = request();
  change.additions = {{kOwner, record311(0xaa)}};
  change.prerequisites.push_back(
      ports::UpdatePrerequisite{ports::UpdatePrerequisite::Kind::TlsaRrsetAbsent, kOwner, {}});
  auto p = publisher();
  auto outcome = p.apply(change);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::PreconditionFailed);
  EXPECT_TRUE(calls().empty());
}

TEST_F(ExternalProgramTest, AHoldingPrerequisiteLetsThePublishRun) {
  zone_.tlsa[kOwner] = {record311(0xbb)};
  auto change = request();
  change.additions = {{kOwner, record311(0xaa)}};
  change.prerequisites.push_back(ports::UpdatePrerequisite{
      ports::UpdatePrerequisite::Kind::TlsaRrsetEquals, kOwner, {record311(0xbb)}});
  auto p = publisher();
  ASSERT_TRUE(p.apply(change));
  EXPECT_EQ(calls().size(), 1u);
}

TEST_F(ExternalProgramTest, AccessCheckRefusesAProgramOthersCanReplace) {
  auto p = publisher();
  EXPECT_TRUE(p.checkAccess(kServer, kZone, {kOwner}));
  ::chmod(program_.c_str(), 0777);
  auto refused = p.checkAccess(kServer, kZone, {kOwner});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::Permission);
  EXPECT_TRUE(calls().empty()) << "the check must not run the program";
}

TEST(SplitTlsaOwner, SplitsPortProtocolAndDomain) {
  auto parts = splitTlsaOwner("_443._tcp.www.example.test.");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->port, "443");
  EXPECT_EQ(parts->protocol, "tcp");
  EXPECT_EQ(parts->domain, "www.example.test");
  EXPECT_FALSE(splitTlsaOwner("www.example.test."));
  EXPECT_FALSE(splitTlsaOwner("_x._tcp.www.example.test."));
  EXPECT_FALSE(splitTlsaOwner("_25.tcp.example.test."));
}

}  // namespace
}  // namespace daneguard::adapters::publishers
