#include "adapters/publishers/zone_file_publisher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "adapters/process/posix_hook_runner.hpp"
#include "adapters/publishers/zone_include_file.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "unit/adapters/process/hook_script.hpp"
#include "unit/adapters/publishers/fake_zone.hpp"

namespace daneguard::adapters::publishers {
namespace {

using testing::readWholeFile;
using testing::TempDir;
using testing::writeHookScript;

const std::string kOwner = "_25._tcp.mail.example.test.";
const std::string kOtherOwner = "_465._tcp.mail.example.test.";
const std::string kZone = "example.test.";
const ports::DnsServer kServer{"127.0.0.1", 5300};

class ZoneFileTest : public ::testing::Test {
 protected:
  ZoneFilePublisher publisher() {
    config::ZoneFilePublisher config;
    config.file = include_.string();
    config.reload = {reload_.string(), "reload", "example.test"};
    config.timeout = std::chrono::seconds(20);
    return ZoneFilePublisher("local", config, runner_, zone_);
  }
  ports::UpdateRequest request(std::uint32_t ttl = 600) const {
    ports::UpdateRequest request;
    request.server = kServer;
    request.zone = kZone;
    request.ttl_seconds = ttl;
    return request;
  }
  [[nodiscard]] std::string reloads() const { return readWholeFile(dir_.path() / "reloads"); }

  TempDir dir_;
  std::filesystem::path include_ = dir_.path() / "example.test.tlsa";
  std::filesystem::path reload_ = writeHookScript(
      dir_, "reload",
      "echo \"$*:$DANEGUARD_ZONE:$DANEGUARD_INCLUDE_FILE\" >> \"$(dirname \"$0\")/reloads\"\n");
  process::PosixHookRunner runner_;
  FakeZone zone_;
};

TEST_F(ZoneFileTest, WritesTheRecordsAndRunsTheReloadCommand) {
  auto change = request();
  change.additions = {{kOwner, record311(0xaa)}, {kOtherOwner, record311(0xbb)}};
  auto p = publisher();
  auto outcome = p.apply(change);
  ASSERT_TRUE(outcome) << outcome.error().message;
  const std::string text = readWholeFile(include_);
  EXPECT_EQ(text.rfind("; daneguard include file for zone example.test. (publisher 'local')\n", 0),
            0u)
      << text;
  EXPECT_NE(text.find(kOwner + " 600 IN TLSA 3 1 1 " + std::string(64, 'a') + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(kOtherOwner + " 600 IN TLSA 3 1 1 " + std::string(64, 'b') + "\n"),
            std::string::npos);
  EXPECT_EQ(reloads(), "reload example.test:example.test.:" + include_.string() + "\n");
}

TEST_F(ZoneFileTest, ApplyIsIdempotentAndDeletesOnlyTheNamedRecord) {
  auto p = publisher();
  auto add = request();
  add.additions = {{kOwner, record311(0xaa)}, {kOwner, record311(0xbb)}};
  ASSERT_TRUE(p.apply(add));
  const std::string once = readWholeFile(include_);
  ASSERT_TRUE(p.apply(add));
  EXPECT_EQ(readWholeFile(include_), once);

  auto remove = request();
  remove.deletions = {{kOwner, record311(0xaa)}};
  ASSERT_TRUE(p.apply(remove));
  ASSERT_TRUE(p.apply(remove));
  auto parsed = parseZoneInclude(readWholeFile(include_), include_.string());
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->records.size(), 1u);
  EXPECT_EQ(parsed->records[0].record, record311(0xbb));
  // A reload on every apply: a retry after a failed reload must still load the file.
  const std::string reload_log = reloads();
  EXPECT_EQ(std::count(reload_log.begin(), reload_log.end(), '\n'), 4);
}

TEST_F(ZoneFileTest, AnAdditionGivesTheWholeRrsetItsTtl) {
  auto p = publisher();
  auto first = request(600);
  first.additions = {{kOwner, record311(0xaa)}};
  ASSERT_TRUE(p.apply(first));
  auto second = request(300);
  second.additions = {{kOwner, record311(0xbb)}};
  ASSERT_TRUE(p.apply(second));
  auto parsed = parseZoneInclude(readWholeFile(include_), include_.string());
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->records.size(), 2u);
  for (const auto& record : parsed->records)
    EXPECT_EQ(record.ttl, 300u);
}

TEST_F(ZoneFileTest, RefusesAFileItDidNotWriteAndLeavesItAlone) {
  const std::string foreign =
      "_25._tcp.mail.example.test. 300 IN TLSA 3 1 1 " + std::string(64, 'c') + "\n";
  dir_.write("example.test.tlsa", foreign);
  auto change = request();
  change.additions = {{kOwner, record311(0xaa)}};
  auto p = publisher();
  auto outcome = p.apply(change);
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.error().message.find(include_.string()), std::string::npos);
  EXPECT_NE(outcome.error().message.find("publisher 'local'"), std::string::npos);
  EXPECT_EQ(readWholeFile(include_), foreign);
  EXPECT_TRUE(reloads().empty());
  EXPECT_FALSE(p.checkAccess(kServer, kZone, {kOwner}));
}

TEST_F(ZoneFileTest, OneFileServesOneZone) {
  auto p = publisher();
  auto change = request();
  change.additions = {{kOwner, record311(0xaa)}};
  ASSERT_TRUE(p.apply(change));
  auto other = request();
  other.zone = "other.test.";
  other.additions = {{"_25._tcp.mail.other.test.", record311(0xaa)}};
  auto outcome = p.apply(other);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::Config);
}

TEST_F(ZoneFileTest, AFailingReloadIsAnErrorAfterTheFileIsWritten) {
  const auto failing =
      writeHookScript(dir_, "failing", "echo 'rndc: connect failed' >&2\nexit 1\n");
  config::ZoneFilePublisher config;
  config.file = include_.string();
  config.reload = {failing.string()};
  ZoneFilePublisher p("local", config, runner_, zone_);
  auto change = request();
  change.additions = {{kOwner, record311(0xaa)}};
  auto outcome = p.apply(change);
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.error().message.find("rndc: connect failed"), std::string::npos)
      << outcome.error().message;
  EXPECT_NE(readWholeFile(include_).find(kOwner), std::string::npos);
}

TEST_F(ZoneFileTest, AFailedPrerequisiteWritesNothing) {
  zone_.tlsa[kOwner] = {record311(0xcc)};
  auto change = request();
  change.additions = {{kOwner, record311(0xaa)}};
  change.prerequisites.push_back(ports::UpdatePrerequisite{
      ports::UpdatePrerequisite::Kind::TlsaRrsetEquals, kOwner, {record311(0xbb)}});
  auto p = publisher();
  auto outcome = p.apply(change);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().kind, ErrorKind::PreconditionFailed);
  EXPECT_FALSE(std::filesystem::exists(include_));
}

TEST_F(ZoneFileTest, AccessCheckWritesAndRunsNothing) {
  auto p = publisher();
  auto checked = p.checkAccess(kServer, kZone, {kOwner});
  ASSERT_TRUE(checked) << checked.error().message;
  EXPECT_FALSE(std::filesystem::exists(include_));
  EXPECT_TRUE(reloads().empty());
  config::ZoneFilePublisher config;
  config.file = (dir_.path() / "missing-dir" / "x.tlsa").string();
  config.reload = {reload_.string()};
  ZoneFilePublisher nowhere("local", config, runner_, zone_);
  auto refused = nowhere.checkAccess(kServer, kZone, {kOwner});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::NotFound);
}

TEST(ZoneIncludeFile, RoundTripsAndRefusesEditedLines) {
  ZoneInclude include;
  include.zone = "example.test.";
  include.records = {{kOwner, 300, record311(0x01)}, {kOtherOwner, 300, record311(0x02)}};
  const std::string text = formatZoneInclude(include, "p");
  auto parsed = parseZoneInclude(text, "f");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->zone, include.zone);
  EXPECT_EQ(parsed->records, include.records);
  EXPECT_FALSE(parseZoneInclude(text + "www 300 IN A 192.0.2.1\n", "f"));
  EXPECT_FALSE(parseZoneInclude(
      text + "_25._tcp.other.test. 300 IN TLSA 3 1 1 " + std::string(64, 'a') + "\n", "f"));
  auto empty = parseZoneInclude("", "f");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->records.empty());
}

// named-checkzone (BIND's own parser) reads a zone that $INCLUDEs the file and dumps the
// records it understood: an independent check of the syntax daneguard writes.
TEST(ZoneIncludeFile, BindReadsTheFileAsWritten) {
  if (!testing::programExists("named-checkzone")) GTEST_SKIP() << "named-checkzone missing";
  TempDir dir;
  ZoneInclude include;
  include.zone = "example.test.";
  include.records = {{kOwner, 300, record311(0xab)}};
  const auto file = dir.write("tlsa.inc", formatZoneInclude(include, "p"));
  const auto zone = dir.write("zone",
                              "$TTL 300\n@ IN SOA ns1 hostmaster 1 60 60 600 30\n@ NS "
                              "ns1\nns1 A 127.0.0.1\n$INCLUDE \"" +
                                  file.string() + "\"\n");
  const auto result =
      testing::runCommand({"named-checkzone", "-D", "-o", "-", "example.test", zone.string()});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  // "_25._tcp.mail.example.test.<tabs> 300 IN TLSA<tab>3 1 1 ABAB... ABAB": words, hex joined.
  std::istringstream lines(result.out);
  std::vector<std::string> tlsa_lines;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> fields;
    for (std::string word; words >> word;)
      fields.push_back(word);
    if (fields.size() < 8 || fields[3] != "TLSA") continue;
    std::string hex;
    for (std::size_t i = 7; i < fields.size(); ++i)
      hex += fields[i];
    std::transform(hex.begin(), hex.end(), hex.begin(), ::tolower);
    tlsa_lines.push_back(fields[0] + " " + fields[1] + " " + fields[2] + " " + fields[4] + " " +
                         fields[5] + " " + fields[6] + " " + hex);
  }
  std::string expected_hex;
  for (int i = 0; i < 32; ++i)
    expected_hex += "ab";
  EXPECT_EQ(tlsa_lines, (std::vector<std::string>{kOwner + " 300 IN 3 1 1 " + expected_hex}))
      << result.out;
}

}  // namespace
}  // namespace daneguard::adapters::publishers
