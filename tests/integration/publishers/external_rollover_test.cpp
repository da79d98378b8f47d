// End-to-end rollover through an `external` publisher: the real daneguard binary runs a shell
// script in Alnitak's protocol that publishes with nsupdate into a real BIND (example.test. as a
// signed dynamic zone). The script answers its first conditional delete with 1 ("new record not up
// yet"), so the run ends with a temporary failure and the old record stays until the next run.
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

void writeText(const fs::path& path, const std::string& text, fs::perms mode = fs::perms(0644)) {
  fs::create_directories(path.parent_path());
  const fs::path temporary = path.string() + ".new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
  }
  fs::permissions(temporary, mode);
  fs::rename(temporary, path);
}

std::vector<std::string> lines(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

class ExternalRollover : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = ZoneFileBind::unavailableReason()) GTEST_SKIP() << *reason;
    if (!programExists("nsupdate") || !programExists("sqlite3"))
      GTEST_SKIP() << "nsupdate or sqlite3 missing";
    bind_.emplace(ZoneFileBind::ExampleZone::Dynamic);
    pki_.emplace(dir_.path() / "pki");
    const std::string d = dir_.path().string();
    // A provider script as an operator would write it for Alnitak.
    writeText(
        script_,
        "#!/bin/sh\n"
        "echo \"$TLSA_OPERATION:$TLSA_PARAM:$TLSA_DOMAIN:$TLSA_HASH:${TLSA_LIVE_HASH-}\" >> " +
            d +
            "/external-calls\n"
            "record=\"_$TLSA_PORT._$TLSA_PROTOCOL.$TLSA_DOMAIN. $TLSA_TTL IN TLSA "
            "$TLSA_USAGE $TLSA_SELECTOR $TLSA_MATCHING $TLSA_HASH\"\n"
            "if [ \"$TLSA_OPERATION\" = delete ]; then\n"
            "  if [ -n \"${TLSA_LIVE_HASH-}\" ] && [ ! -f " +
            d + "/answered-not-up ]; then\n    touch " + d +
            "/answered-not-up\n    echo 'new record not up yet' >&2\n    exit 1\n  fi\n"
            "  change=\"update delete $record\"\nelse\n  change=\"update add $record\"\nfi\n"
            "printf 'server 127.0.0.1 " +
            std::to_string(bind_->port()) +
            "\\nzone %s\\n%s\\nsend\\n' \"$ZONE_DOMAIN\" \"$change\" | nsupdate -k " +
            bind_->tlsaKeyFile().string() + " || exit 2\n",
        fs::perms(0755));
    writeText(hook_,
              "#!/bin/sh\nopenssl x509 -in \"$DANEGUARD_CERT_FILE\" -noout -fingerprint "
              "-sha256 >> " +
                  d + "/hook-calls\n",
              fs::perms(0755));
    writeText(config_,
              "state_dir = \"" + d +
                  "/state\"\n[rollover]\npoll_interval = \"1s\"\nmargin = \"1s\"\n"
                  "propagation_timeout = \"30s\"\n"
                  "[publishers.script]\ntype = \"external\"\ndns_server = \"" +
                  bind_->server() + "\"\ncommand = [\"" + script_.string() +
                  "\"]\ntimeout = \"20s\"\n"
                  "[[services]]\nname = \"mail\"\nhosts = [\"mail.example.test\"]\nports = [25]\n"
                  "ttl = 2\npublisher = \"script\"\n"
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
  [[nodiscard]] std::vector<std::string> calls() const {
    return lines(readTextFile(dir_.path() / "external-calls"));
  }

  TempDir dir_;
  std::optional<ZoneFileBind> bind_;
  std::optional<E2ePki> pki_;
  fs::path config_ = dir_.path() / "daneguard.toml";
  fs::path bundle_ = dir_.path() / "mail.pem";
  fs::path hook_ = dir_.path() / "deploy-mail";
  fs::path script_ = dir_.path() / "bin" / "tlsa-api";
};

TEST_F(ExternalRollover, RolloverThroughAnAlnitakScriptIncludingItsNotUpYetAnswer) {
  const E2eCertificate a = pki_->issue("a");
  const E2eCertificate b = pki_->issue("b");
  const std::string a_hash = a.spki_sha256;
  const std::string b_hash = b.spki_sha256;

  install(a);
  const CommandResult first = runWait();
  ASSERT_EQ(first.exit_code, 0) << both(first) << bind_->log();
  EXPECT_EQ(calls(), (std::vector<std::string>{"publish:311:mail.example.test:" + a_hash + ":"}));
  bool is_signed = false;
  EXPECT_EQ(bind_->servedTlsa(kOwner, &is_signed), Records{a.tlsa()});
  EXPECT_TRUE(is_signed);

  install(b);
  const CommandResult renewal = runWait();
  EXPECT_EQ(renewal.exit_code, 75) << both(renewal);
  EXPECT_NE((renewal.out + renewal.err).find("not up yet"), std::string::npos) << both(renewal);
  EXPECT_NE((renewal.out + renewal.err).find("deployed " + b.shortId()), std::string::npos)
      << both(renewal);
  EXPECT_EQ(bind_->servedTlsa(kOwner), (Records{a.tlsa(), b.tlsa()}))
      << "the old record must stay while the script says the new one is not up";

  const CommandResult retry = runWait();
  ASSERT_EQ(retry.exit_code, 0) << both(retry);
  EXPECT_EQ(calls(), (std::vector<std::string>{
                         "publish:311:mail.example.test:" + a_hash + ":",
                         "publish:311:mail.example.test:" + b_hash + ":",
                         "delete:311:mail.example.test:" + a_hash + ":" + b_hash,
                         "delete:311:mail.example.test:" + a_hash + ":" + b_hash,
                     }));
  EXPECT_EQ(bind_->servedTlsa(kOwner, &is_signed), Records{b.tlsa()});
  EXPECT_TRUE(is_signed);
}

}  // namespace
}  // namespace daneguard::testing
