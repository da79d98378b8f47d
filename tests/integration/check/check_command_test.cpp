// The real `daneguard check` binary with the publisher access and certbot checks wired in:
// an RFC 2136 publisher whose TSIG secret is wrong (real BIND in its own namespace), a PowerDNS
// publisher (real pdns_server) with a wrong and then the right API key, and a hand-made certbot
// lineage without reuse_key for a 3 1 1 service, whose Postfix configuration (read by the real
// postconf) also points into live/. Nothing here is published by daneguard: records are put in
// place with nsupdate or the PowerDNS API through curl.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "integration/support/e2e_world.hpp"
#include "integration/support/pdns_fixture.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

namespace daneguard::testing {
namespace {

namespace fs = std::filesystem;

std::string both(const CommandResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\n--- stdout\n" + result.out +
         "--- stderr\n" + result.err;
}

void writeText(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

std::string readText(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

CommandResult daneguardCheck(const fs::path& config, const std::vector<std::string>& arguments) {
  std::vector<std::string> argv = withoutDaneguardEnvironment();
  argv.insert(argv.end(), {DANEGUARD_BINARY, "check", "-c", config.string(), "--no-dnssec"});
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return runCommand(argv);
}

/// The findings of `check --json` with this severity whose subject contains `subject`.
std::vector<nlohmann::json> findingsAbout(const CommandResult& result, const std::string& severity,
                                          const std::string& subject) {
  std::vector<nlohmann::json> found;
  const auto document = nlohmann::json::parse(result.out, nullptr, false);
  if (document.is_discarded() || !document.contains("findings")) return found;
  for (const auto& finding : document["findings"])
    if (finding["severity"] == severity &&
        finding["subject"].get<std::string>().find(subject) != std::string::npos)
      found.push_back(finding);
  return found;
}

bool hasLine(std::string_view text, const std::function<bool(std::string_view)>& wanted) {
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    if (wanted(text.substr(0, end))) return true;
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
  return false;
}

TEST(CheckCommand, WrongTsigSecretIsAnErrorNamingKeyAndServer) {
  if (auto reason = E2eWorld::unavailableReason()) GTEST_SKIP() << *reason;
  E2eWorld world;
  const auto& key = world.sandbox().updateKey();
  // Same name and algorithm, a fresh random secret: BIND knows the key but not this secret.
  const CommandResult generated = runCommand({"tsig-keygen", "-a", key.algorithm, key.name});
  ASSERT_EQ(generated.exit_code, 0) << both(generated);
  const fs::path wrong_key = world.directory() / "wrong.key";
  writeText(wrong_key, generated.out);
  ASSERT_NE(readText(wrong_key), readText(key.path));
  world.writeConfig(wrong_key);

  const CommandResult result = daneguardCheck(world.configPath(), {});
  EXPECT_EQ(result.exit_code, 1) << both(result);
  const std::string server = world.sandbox().updateServer().host;
  const bool named = hasLine(result.out, [&](std::string_view line) {
    return line.starts_with("ERROR") &&
           line.find("publisher 'primary'") != std::string_view::npos &&
           line.find(key.name) != std::string_view::npos &&
           line.find(server) != std::string_view::npos;
  });
  EXPECT_TRUE(named) << both(result);
  EXPECT_NE(result.out.find("-> fix: make the TSIG key name, algorithm and secret match"),
            std::string::npos)
      << both(result);

  // The right key passes the same check: the access finding is ok.
  world.writeConfig();
  const CommandResult good = daneguardCheck(world.configPath(), {"--json"});
  EXPECT_EQ(findingsAbout(good, "ok", "publisher 'primary'").size(), 1U) << both(good);
  EXPECT_TRUE(findingsAbout(good, "error", "publisher 'primary'").empty()) << both(good);
}

TEST(CheckCommand, PowerDnsApiKeyIsTestedReadOnly) {
  if (auto reason = PdnsFixture::unavailableReason()) GTEST_SKIP() << *reason;
  PdnsFixture pdns;
  TempDir dir;
  E2ePki pki(dir.path() / "pki");
  const E2eCertificate certificate = pki.issue("a");
  const std::string owner = "_25._tcp.mail.example.test.";
  pdns.replaceTlsa(owner, {certificate.tlsa()});
  const auto served_before = pdns.servedTlsa(owner);
  ASSERT_TRUE(served_before.has_value());

  const fs::path wrong_key = dir.path() / "wrong-api-key";
  writeText(wrong_key, "not-the-key\n");
  fs::permissions(wrong_key, fs::perms::owner_read | fs::perms::owner_write);
  const auto configWith = [&](const fs::path& key_file) {
    const fs::path config = dir.path() / "daneguard.toml";
    writeText(config, "state_dir = \"" + (dir.path() / "state").string() +
                          "\"\n[publishers.pdns]\ntype = \"pdns\"\napi_url = \"" + pdns.apiUrl() +
                          "\"\napi_key_file = \"" + key_file.string() +
                          "\"\ndns_server = \"127.0.0.1:" + std::to_string(pdns.dnsPort()) +
                          "\"\n[[services]]\nname = \"mail\"\nhosts = [\"mail.example.test\"]\n"
                          "ports = [25]\npublisher = \"pdns\"\n[services.certificate]\ntype = "
                          "\"pem\"\npath = \"" +
                          certificate.bundle.string() +
                          "\"\n[services.deploy]\ntype = \"hook\"\ncommand = [\"/bin/true\"]\n");
    return config;
  };
  const std::vector<std::string> port = {"--authority-port", std::to_string(pdns.dnsPort())};

  const CommandResult wrong = daneguardCheck(configWith(wrong_key), port);
  EXPECT_EQ(wrong.exit_code, 1) << both(wrong);
  EXPECT_NE(wrong.out.find("ERROR service mail: publisher 'pdns', zone example.test.: pdns "
                           "publisher 'pdns', zone example.test.: GET "),
            std::string::npos)
      << both(wrong);
  EXPECT_NE(wrong.out.find("answered HTTP 401"), std::string::npos) << both(wrong);
  EXPECT_EQ(wrong.out.find("not-the-key"), std::string::npos) << "the key leaked: " << both(wrong);
  EXPECT_EQ(wrong.err.find("not-the-key"), std::string::npos) << "the key leaked: " << both(wrong);
  std::vector<std::string> arguments = port;
  arguments.push_back("-v");
  const CommandResult right = daneguardCheck(configWith(pdns.apiKeyFile()), arguments);
  EXPECT_EQ(right.exit_code, 0) << both(right);
  EXPECT_NE(right.out.find("OK service mail: publisher 'pdns', zone example.test.: pdns "
                           "publisher 'pdns', zone example.test.: the API key may read the zone "
                           "(1 TLSA record(s)"),
            std::string::npos)
      << both(right);
  EXPECT_EQ(pdns.servedTlsa(owner), served_before) << "the check changed the zone";
}

TEST(CheckCommand, CertbotLineageWithoutReuseKeyAndPostfixReadingLiveFiles) {
  if (auto reason = E2eWorld::unavailableReason()) GTEST_SKIP() << *reason;
  if (!programExists("postconf")) GTEST_SKIP() << "postconf (postfix) is not installed";
  E2eWorld world;
  const E2eCertificate certificate = world.pki().issue("a");
  ASSERT_EQ(world.nsupdate("update add " + world.owner() + " 300 IN TLSA " + certificate.tlsa())
                .exit_code,
            0);

  // A certbot lineage as certbot 2.1 lays it out, made by hand from the openssl-made bundle.
  const fs::path letsencrypt = world.directory() / "letsencrypt";
  const std::string bundle = readText(certificate.bundle);
  const std::size_t first_certificate = bundle.find("-----BEGIN CERTIFICATE-----");
  ASSERT_NE(first_certificate, std::string::npos);
  const fs::path archive = letsencrypt / "archive" / "mail.example.test";
  writeText(archive / "privkey1.pem", bundle.substr(0, first_certificate));
  writeText(archive / "fullchain1.pem", bundle.substr(first_certificate));
  fs::permissions(archive / "privkey1.pem", fs::perms::owner_read | fs::perms::owner_write);
  const fs::path live = letsencrypt / "live" / "mail.example.test";
  fs::create_directories(live);
  fs::create_symlink("../../archive/mail.example.test/privkey1.pem", live / "privkey.pem");
  fs::create_symlink("../../archive/mail.example.test/fullchain1.pem", live / "fullchain.pem");
  const fs::path renewal_conf = letsencrypt / "renewal" / "mail.example.test.conf";
  writeText(renewal_conf, "version = 2.1.0\narchive_dir = " + archive.string() +
                              "\n[renewalparams]\nauthenticator = webroot\nkey_type = ecdsa\n"
                              "[[webroot_map]]\nmail.example.test = /var/www/html\n");

  // Postfix's own configuration directory, read by the real postconf.
  const fs::path postfix = world.directory() / "postfix";
  writeText(postfix / "main.cf", "smtpd_tls_chain_files = " + (live / "privkey.pem").string() +
                                     ", " + (live / "fullchain.pem").string() + "\n");
  writeText(postfix / "master.cf", "");

  std::string config = readText(world.configPath());
  const std::size_t source = config.find("[services.certificate]");
  const std::size_t deploy = config.find("[services.deploy]");
  ASSERT_NE(source, std::string::npos);
  config.replace(source, deploy - source,
                 "[services.certificate]\ntype = \"certbot\"\nlineage = \"mail.example.test\"\n"
                 "config_dir = \"" +
                     letsencrypt.string() + "\"\n");
  const fs::path config_path = world.directory() / "certbot.toml";
  writeText(config_path, config);

  const CommandResult result = daneguardCheck(config_path, {"--postfix-config", postfix.string()});
  EXPECT_EQ(result.exit_code, 1) << both(result);
  EXPECT_NE(result.out.find("WARNING service mail: " + renewal_conf.string() +
                            ": lineage 'mail.example.test' gets a new key at every renewal"),
            std::string::npos)
      << both(result);
  EXPECT_NE(result.out.find("ERROR service mail: Postfix (" + postfix.string() + "): Postfix (" +
                            postfix.string() + ") reads " + (live / "privkey.pem").string()),
            std::string::npos)
      << both(result);

  // With reuse_key the warning becomes an ok; Postfix elsewhere leaves nothing to report there.
  writeText(renewal_conf, "version = 2.1.0\n[renewalparams]\nreuse_key = True\n");
  writeText(postfix / "main.cf", "smtpd_tls_chain_files = /etc/daneguard/mail/combo.pem\n");
  const CommandResult fixed =
      daneguardCheck(config_path, {"--postfix-config", postfix.string(), "--json"});
  EXPECT_EQ(findingsAbout(fixed, "ok", renewal_conf.string()).size(), 1U) << both(fixed);
  EXPECT_TRUE(findingsAbout(fixed, "warning", renewal_conf.string()).empty()) << both(fixed);
  EXPECT_TRUE(findingsAbout(fixed, "error", "Postfix").empty()) << both(fixed);

  // A Postfix directory that does not exist: postconf's refusal is a warning naming it.
  const CommandResult missing =
      daneguardCheck(config_path, {"--postfix-config", (world.directory() / "nope").string()});
  EXPECT_NE(missing.out.find("WARNING Postfix (" + (world.directory() / "nope").string() +
                             "): cannot read the Postfix configuration"),
            std::string::npos)
      << both(missing);
}

}  // namespace
}  // namespace daneguard::testing
