// End-to-end rollover through a `zonefile` publisher: the real daneguard binary, a real TOML
// configuration and deploy hook, and a real BIND that $INCLUDEs daneguard's file and signs the
// zone itself (inline-signing), reloaded by the operator's reload command. What BIND serves is
// read with `dig +dnssec`, never through daneguard's code.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "integration/publishers/zonefile_bind.hpp"
#include "integration/support/e2e_world.hpp"
#include "support/run_command.hpp"

namespace daneguard::testing {
namespace {

namespace fs = std::filesystem;
using Records = std::multiset<std::string>;

const std::string kOwner = "_25._tcp.mail.example.test.";

std::string both(const CommandResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\n--- stdout\n" + result.out +
         "--- stderr\n" + result.err;
}

void writeText(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  const fs::path temporary = path.string() + ".new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
  }
  fs::rename(temporary, path);
}

class ZoneFileRollover : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = ZoneFileBind::unavailableReason()) GTEST_SKIP() << *reason;
    if (!programExists("sqlite3")) GTEST_SKIP() << "sqlite3 missing";
    bind_.emplace();
    pki_.emplace(dir_.path() / "pki");
    writeText(hook_,
              "#!/bin/sh\nopenssl x509 -in \"$DANEGUARD_CERT_FILE\" -noout -fingerprint "
              "-sha256 >> " +
                  (dir_.path() / "hook-calls").string() + "\n");
    fs::permissions(hook_, fs::perms(0755));
    writeText(config_,
              "state_dir = \"" + (dir_.path() / "state").string() +
                  "\"\n[rollover]\npoll_interval = \"1s\"\nmargin = \"1s\"\n"
                  "propagation_timeout = \"30s\"\n"
                  "[publishers.local]\ntype = \"zonefile\"\ndns_server = \"" +
                  bind_->server() + "\"\nfile = \"" + bind_->includeFile().string() +
                  "\"\nreload = [\"" + bind_->reloadScript().string() +
                  "\"]\ntimeout = \"20s\"\n"
                  "[[services]]\nname = \"mail\"\nhosts = [\"mail.example.test\"]\nports = [25]\n"
                  "ttl = 2\npublisher = \"local\"\n"
                  "[services.certificate]\ntype = \"pem\"\npath = \"" +
                  bundle_.string() + "\"\n[services.deploy]\ntype = \"hook\"\ncommand = [\"" +
                  hook_.string() + "\"]\ntimeout = \"20s\"\n[services.probe]\nenabled = false\n");
  }

  CommandResult runWait() const {
    std::vector<std::string> argv = withoutDaneguardEnvironment();
    argv.insert(argv.end(), {DANEGUARD_BINARY, "run", "--wait", "-c", config_.string(),
                             "--poll-interval", "1", "--margin", "1", "--cache-factor", "1",
                             "--authority-port", std::to_string(bind_->port())});
    return runCommand(argv);
  }
  void install(const E2eCertificate& certificate) const {
    writeText(bundle_, readTextFile(certificate.bundle));
  }
  [[nodiscard]] std::vector<std::string> hookCalls() const {
    std::istringstream lines(readTextFile(dir_.path() / "hook-calls"));
    std::vector<std::string> calls;
    for (std::string line; std::getline(lines, line);)
      calls.push_back(line);
    return calls;
  }
  /// The include file's record lines ("3 1 1 hex"), read as text.
  [[nodiscard]] Records includedRecords() const {
    Records records;
    std::istringstream lines(readTextFile(bind_->includeFile()));
    for (std::string line; std::getline(lines, line);) {
      const auto at = line.find(" IN TLSA ");
      if (line.rfind(kOwner, 0) == 0 && at != std::string::npos)
        records.insert(line.substr(at + 9));
    }
    return records;
  }

  TempDir dir_;
  std::optional<ZoneFileBind> bind_;
  std::optional<E2ePki> pki_;
  fs::path config_ = dir_.path() / "daneguard.toml";
  fs::path bundle_ = dir_.path() / "mail.pem";
  fs::path hook_ = dir_.path() / "deploy-mail";
};

TEST_F(ZoneFileRollover, FirstEnablementThenNewKeyRolloverThroughTheIncludeFile) {
  const E2eCertificate a = pki_->issue("a");
  const E2eCertificate b = pki_->issue("b");
  ASSERT_EQ(bind_->servedTlsa(kOwner), Records{});

  install(a);
  const CommandResult first = runWait();
  ASSERT_EQ(first.exit_code, 0) << both(first) << bind_->log();
  ASSERT_EQ(hookCalls().size(), 1u) << both(first);
  EXPECT_EQ(hookCalls()[0], a.fingerprint);
  EXPECT_EQ(includedRecords(), Records{a.tlsa()});
  bool is_signed = false;
  EXPECT_EQ(bind_->servedTlsa(kOwner, &is_signed), Records{a.tlsa()});
  EXPECT_TRUE(is_signed) << "BIND must sign the included records itself";

  install(b);
  const CommandResult renewal = runWait();
  ASSERT_EQ(renewal.exit_code, 0) << both(renewal) << bind_->log();
  const std::string text = renewal.out + renewal.err;
  const auto published = text.find("published 3 1 1 " + b.shortData());
  const auto deployed = text.find("deployed " + b.shortId());
  const auto retired = text.find("retired 3 1 1 " + a.shortData());
  ASSERT_NE(published, std::string::npos) << both(renewal);
  ASSERT_NE(deployed, std::string::npos) << both(renewal);
  ASSERT_NE(retired, std::string::npos) << both(renewal);
  EXPECT_LT(published, deployed);
  EXPECT_LT(deployed, retired) << "the old record must go only after the deploy";
  ASSERT_EQ(hookCalls().size(), 2u);
  EXPECT_EQ(hookCalls()[1], b.fingerprint);
  EXPECT_EQ(includedRecords(), Records{b.tlsa()});
  const bool only_new = pollUntil(
      [&] { return bind_->servedTlsa(kOwner, &is_signed) == Records{b.tlsa()} && is_signed; },
      std::chrono::seconds(10));
  EXPECT_TRUE(only_new) << "BIND still serves something else at " << kOwner;
}

}  // namespace
}  // namespace daneguard::testing
