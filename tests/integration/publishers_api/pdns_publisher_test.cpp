// The PowerDNS publisher against a real pdns_server (sqlite3 backend, API on loopback): exact
// record-level changes, records of others at the same name untouched, prerequisites, DNSSEC
// signatures on what it wrote, a clear error for a wrong API key, and a whole rollover through
// the real daneguard binary. What the server holds is read with dig and the curl CLI.
#include "adapters/publishers/pdns_publisher.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/hex.hpp"
#include "core/tlsa/tlsa_presentation.hpp"
#include "integration/support/e2e_world.hpp"
#include "integration/support/pdns_fixture.hpp"

namespace daneguard::testing {
namespace {

namespace fs = std::filesystem;
using adapters::publishers::makePowerDnsUpdater;
using Records = std::multiset<std::string>;

const std::string kOwner = "_25._tcp.mail.example.test.";
const std::string kRecordA = "3 1 1 " + std::string(64, 'a');
const std::string kRecordB = "3 1 1 " + std::string(64, 'b');
const std::string kForeign = "3 1 1 " + std::string(64, 'f');

TlsaRecord record(const std::string& text) {
  return parseTlsaRdata(text).value();
}

class PdnsPublisher : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = PdnsFixture::unavailableReason()) GTEST_SKIP() << *reason;
  }

  static config::PowerDnsPublisher publisherFor(const PdnsFixture& pdns, const fs::path& key_file) {
    config::PowerDnsPublisher publisher;
    publisher.api_url = pdns.apiUrl();
    publisher.api_key = config::ApiTokenFile{key_file.string()};
    publisher.common.dns.dns_server = config::ServerAddress{"127.0.0.1", pdns.dnsPort()};
    return publisher;
  }

  static ports::UpdateRequest request(const std::vector<std::string>& additions,
                                      const std::vector<std::string>& deletions) {
    ports::UpdateRequest update;
    update.zone = "example.test.";
    update.ttl_seconds = 120;
    for (const auto& text : additions)
      update.additions.push_back({kOwner, record(text)});
    for (const auto& text : deletions)
      update.deletions.push_back({kOwner, record(text)});
    return update;
  }
};

TEST_F(PdnsPublisher, AddsAndDeletesExactlyItsRecordsAndLeavesOthersAlone) {
  PdnsFixture pdns;
  pdns.replaceTlsa(kOwner, {kForeign}, 300);
  auto updater = makePowerDnsUpdater(publisherFor(pdns, pdns.apiKeyFile()), "pdns-test");
  ASSERT_TRUE(updater) << updater.error().message;

  const auto serial_before = pdns.serial();
  auto added = (*updater)->apply(request({kRecordA, kRecordB}, {}));
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->added, 2u);
  std::uint32_t ttl = 0;
  bool signed_rrset = false;
  EXPECT_EQ(pdns.servedTlsa(kOwner, &ttl, &signed_rrset), (Records{kForeign, kRecordA, kRecordB}));
  EXPECT_EQ(ttl, 120u) << "one TTL per RRset: the one the caller asked for";
  EXPECT_TRUE(signed_rrset) << "PowerDNS must sign the TLSA RRset it serves";
  EXPECT_GT(pdns.serial().value_or(0), serial_before.value_or(0));

  auto again = (*updater)->apply(request({kRecordA, kRecordB}, {}));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->added, 0u) << "adding what is there must change nothing";

  auto deleted = (*updater)->apply(request({}, {kRecordA}));
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(deleted->deleted, 1u);
  EXPECT_EQ(pdns.servedTlsa(kOwner, &ttl), (Records{kForeign, kRecordB}));
  EXPECT_EQ(ttl, 120u) << "a deletion keeps the RRset's TTL";

  auto both = (*updater)->apply(request({}, {kRecordA, kRecordB}));
  ASSERT_TRUE(both) << both.error().message;
  EXPECT_EQ(both->deleted, 1u) << "deleting an absent record is a no-op";
  EXPECT_EQ(pdns.servedTlsa(kOwner), (Records{kForeign}));
}

TEST_F(PdnsPublisher, DeletingItsLastRecordRemovesTheRrset) {
  PdnsFixture pdns;
  auto updater = makePowerDnsUpdater(publisherFor(pdns, pdns.apiKeyFile()), "pdns-test");
  ASSERT_TRUE(updater) << updater.error().message;
  ASSERT_TRUE((*updater)->apply(request({kRecordA}, {})));
  EXPECT_EQ(pdns.servedTlsa(kOwner), (Records{kRecordA}));
  ASSERT_TRUE((*updater)->apply(request({}, {kRecordA})));
  EXPECT_EQ(pdns.servedTlsa(kOwner), Records{});
  const auto [status, zone] = pdns.api("GET", "/zones/example.test.");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(zone.find("\"TLSA\""), std::string::npos) << "no empty TLSA RRset may stay behind";
}

TEST_F(PdnsPublisher, PrerequisitesAreCheckedAgainstTheZone) {
  PdnsFixture pdns;
  pdns.replaceTlsa(kOwner, {kForeign});
  auto updater = makePowerDnsUpdater(publisherFor(pdns, pdns.apiKeyFile()), "pdns-test");
  ASSERT_TRUE(updater);

  ports::UpdateRequest absent = request({kRecordA}, {});
  absent.prerequisites.push_back({ports::UpdatePrerequisite::Kind::TlsaRrsetAbsent, kOwner, {}});
  const auto refused = (*updater)->apply(absent);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::PreconditionFailed) << refused.error().message;
  EXPECT_EQ(pdns.servedTlsa(kOwner), (Records{kForeign})) << "nothing may be written";

  ports::UpdateRequest equals = request({kRecordA}, {});
  equals.prerequisites.push_back(
      {ports::UpdatePrerequisite::Kind::TlsaRrsetEquals, kOwner, {record(kForeign)}});
  const auto accepted = (*updater)->apply(equals);
  ASSERT_TRUE(accepted) << accepted.error().message;
  EXPECT_EQ(pdns.servedTlsa(kOwner), (Records{kForeign, kRecordA}));
}

TEST_F(PdnsPublisher, RectifiesADnssecZoneWhoseApiRectifyIsOff) {
  PdnsOptions options;
  options.api_rectify = false;
  PdnsFixture pdns(options);
  auto updater = makePowerDnsUpdater(publisherFor(pdns, pdns.apiKeyFile()), "pdns-test");
  ASSERT_TRUE(updater);
  ASSERT_TRUE((*updater)->apply(request({kRecordA}, {})));
  bool signed_rrset = false;
  EXPECT_EQ(pdns.servedTlsa(kOwner, nullptr, &signed_rrset), (Records{kRecordA}));
  EXPECT_TRUE(signed_rrset);
  // Rectifying gives the record its NSEC ordering name; without it the column stays NULL and
  // denial-of-existence proofs around the name are wrong.
  const CommandResult ordername = runCommand(
      {"sqlite3", (pdns.directory() / "pdns" / "pdns.sqlite3").string(),
       "SELECT count(*) FROM records WHERE type = 'TLSA' AND ordername IS NOT NULL AND auth = 1"});
  EXPECT_EQ(ordername.out, "1\n") << ordername.err;
  const CommandResult check =
      runCommand({"pdnsutil", "--config-dir=" + (pdns.directory() / "pdns").string(), "check-zone",
                  "example.test."});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(PdnsPublisher, AWrongApiKeyIsAnAuthFailureNamingPublisherAndZoneButNotTheKey) {
  PdnsFixture pdns;
  TempDir secrets;
  const std::string wrong_key = "wrongkey" + std::string(24, '7');
  const fs::path wrong = secrets.write("pdns-key", wrong_key + "\n");
  auto updater = makePowerDnsUpdater(publisherFor(pdns, wrong), "pdns-test");
  ASSERT_TRUE(updater);
  const auto result = (*updater)->apply(request({kRecordA}, {}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::AuthFailure);
  const std::string& message = result.error().message;
  EXPECT_NE(message.find("pdns publisher 'pdns-test'"), std::string::npos) << message;
  EXPECT_NE(message.find("example.test."), std::string::npos) << message;
  EXPECT_NE(message.find("401"), std::string::npos) << message;
  EXPECT_EQ(message.find(wrong_key), std::string::npos) << "the key must never be shown";
  EXPECT_EQ(message.find(pdns.apiKey()), std::string::npos);
  EXPECT_EQ(pdns.servedTlsa(kOwner), Records{});
}

TEST_F(PdnsPublisher, AMissingKeyFileIsReportedBeforeAnythingIsSent) {
  PdnsFixture pdns;
  auto updater = makePowerDnsUpdater(publisherFor(pdns, "/nonexistent/pdns-key"), "pdns-test");
  ASSERT_FALSE(updater);
  EXPECT_NE(updater.error().message.find("/nonexistent/pdns-key"), std::string::npos);
  EXPECT_NE(updater.error().message.find("pdns publisher 'pdns-test'"), std::string::npos);
}

// ---- a whole rollover through the real binary -------------------------------------------

class PdnsRollover : public PdnsPublisher {
 protected:
  void SetUp() override {
    PdnsPublisher::SetUp();
    if (IsSkipped()) return;
    for (const char* program : {"openssl", "sh"})
      if (!programExists(program)) GTEST_SKIP() << program << " is not installed";
  }
};

std::string hookScript(const fs::path& calls) {
  return "#!/bin/sh\n"
         "# Records the fingerprint of the certificate it was asked to deploy.\n"
         "fp=$(openssl x509 -in \"$DANEGUARD_CERT_FILE\" -noout -fingerprint -sha256)\n"
         "echo \"$fp\" >> " +
         calls.string() + "\n";
}

TEST_F(PdnsRollover, FullRolloverThroughTheRealBinary) {
  PdnsFixture pdns;
  TempDir dir;
  E2ePki pki(dir.path() / "pki");
  const E2eCertificate a = pki.issue("a");
  const E2eCertificate b = pki.issue("b");
  const fs::path bundle = dir.path() / "service" / "mail.pem";
  fs::create_directories(bundle.parent_path());
  const fs::path calls = dir.path() / "hook-calls";
  const fs::path hook = dir.write("hook/deploy", hookScript(calls));
  fs::permissions(hook, fs::perms::owner_all);
  const fs::path state = dir.path() / "state";
  const fs::path config = dir.write(
      "daneguard.toml",
      "state_dir = \"" + state.string() +
          "\"\n"
          "[rollover]\npoll_interval = \"1s\"\nmargin = \"1s\"\npropagation_timeout = \"20s\"\n"
          "[publishers.pdns]\ntype = \"pdns\"\napi_url = \"" +
          pdns.apiUrl() +
          "\"\n"
          "api_key_file = \"" +
          pdns.apiKeyFile().string() +
          "\"\n"
          "dns_server = \"127.0.0.1:" +
          std::to_string(pdns.dnsPort()) +
          "\"\n"
          "[[services]]\nname = \"mail\"\nhosts = [\"mail.example.test\"]\nports = [25]\nttl = 2\n"
          "publisher = \"pdns\"\n"
          "[services.certificate]\ntype = \"pem\"\npath = \"" +
          bundle.string() +
          "\"\n"
          "[services.deploy]\ntype = \"hook\"\ncommand = [\"" +
          hook.string() +
          "\"]\n"
          "timeout = \"20s\"\n[services.probe]\nenabled = false\n");
  const auto daneguard = [&](const std::string& command) {
    std::vector<std::string> argv = withoutDaneguardEnvironment();
    argv.insert(argv.end(),
                {DANEGUARD_BINARY, command, "-c", config.string(), "--state-dir", state.string(),
                 "--poll-interval", "1", "--margin", "1", "--cache-factor", "1", "--authority-port",
                 std::to_string(pdns.dnsPort())});
    if (command == "run") argv.push_back("--wait");
    return runCommand(argv);
  };
  const auto hookFingerprints = [&] {
    std::vector<std::string> lines;
    std::ifstream in(calls);
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
    return lines;
  };
  const auto install = [&](const E2eCertificate& certificate) {
    fs::copy_file(certificate.bundle, bundle, fs::copy_options::overwrite_existing);
  };

  // First enablement: publish A, wait out the negative TTL, deploy A.
  install(a);
  const CommandResult first = daneguard("run");
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err << pdns.log();
  EXPECT_EQ(hookFingerprints(), std::vector<std::string>{a.fingerprint});
  bool signed_rrset = false;
  EXPECT_EQ(pdns.servedTlsa(kOwner, nullptr, &signed_rrset), (Records{a.tlsa()}));
  EXPECT_TRUE(signed_rrset);

  // Renewal with a new key: B published next to A, deployed after the wait, A retired.
  install(b);
  const CommandResult plan = daneguard("plan");
  EXPECT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  EXPECT_EQ(pdns.servedTlsa(kOwner), (Records{a.tlsa()})) << "plan must not change anything";
  const CommandResult renewal = daneguard("run");
  ASSERT_EQ(renewal.exit_code, 0) << renewal.out << renewal.err;
  const std::string text = renewal.out + renewal.err;
  const auto published = text.find("published 3 1 1 " + b.shortData());
  const auto deployed = text.find("deployed " + b.shortId());
  const auto retired = text.find("retired 3 1 1 " + a.shortData());
  ASSERT_NE(published, std::string::npos) << text;
  ASSERT_NE(deployed, std::string::npos) << text;
  ASSERT_NE(retired, std::string::npos) << text;
  EXPECT_LT(published, deployed);
  EXPECT_LT(deployed, retired);
  EXPECT_EQ(hookFingerprints(), (std::vector<std::string>{a.fingerprint, b.fingerprint}));
  EXPECT_EQ(pdns.servedTlsa(kOwner, nullptr, &signed_rrset), (Records{b.tlsa()}));
  EXPECT_TRUE(signed_rrset);
  EXPECT_EQ(text.find(pdns.apiKey()), std::string::npos) << "the API key must not be printed";
}

}  // namespace
}  // namespace daneguard::testing
