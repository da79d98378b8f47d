// What the parser produces from valid files (every key reaches the value types, defaults are
// the documented ones), how it reports several problems at once, that secrets never appear in
// messages, and how file-level problems map to error kinds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "adapters/config_toml/config_toml.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "support/unprivileged.hpp"

namespace daneguard::adapters::config_toml {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

// A valid service block, so that each test states only what it varies.
constexpr std::string_view kPublisher = R"(
[publishers.ns]
type = "rfc2136"
server = "ns1.example.com"
tsig_key_file = "/etc/daneguard/tsig.key"
)";
constexpr std::string_view kService = R"(
[[services]]
name = "mail"
hosts = ["mail.example.com"]
ports = [25]
publisher = "ns"
certificate = { type = "pem", path = "/etc/daneguard/mail.pem" }
deploy = { type = "hook", command = ["/usr/local/bin/deploy"] }
)";

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::string::size_type start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

TEST(ConfigParser, MinimalFileGetsTheDocumentedDefaults) {
  const auto config = loadConfigFile(testing::testDataPath("good/config/minimal.toml"));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->state_dir, "/var/lib/daneguard");
  EXPECT_EQ(config->rollover.cache_factor, 2u);
  EXPECT_EQ(config->rollover.margin, 60s);
  EXPECT_EQ(config->rollover.poll_interval, 10s);
  EXPECT_EQ(config->rollover.propagation_timeout, 30min);
  ASSERT_EQ(config->services.size(), 1u);
  const config::Service& mail = config->services[0];
  EXPECT_EQ(mail.protocol, config::TransportProtocol::Tcp);
  EXPECT_EQ(mail.ttl, 3600u);
  ASSERT_EQ(mail.records.size(), 1u);
  EXPECT_EQ(mail.records[0],
            (TlsaParameters{TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha256}));
  EXPECT_EQ(mail.rollover, config->rollover);
  EXPECT_TRUE(mail.probe.enabled);
  EXPECT_TRUE(mail.probe.endpoints.empty());
  EXPECT_EQ(mail.probe.timeout, 10s);
  const auto& hook = std::get<config::HookDeploy>(mail.deploy);
  EXPECT_EQ(hook.timeout, 120s);
  EXPECT_EQ(std::get<config::PemBundleSource>(mail.certificate).path, "/etc/daneguard/mail.pem");
  const auto& publisher = std::get<config::Rfc2136Publisher>(*config->findPublisher("ns"));
  EXPECT_EQ(publisher.server, (config::ServerAddress{"192.0.2.53", 53}));
  EXPECT_EQ(std::get<config::TsigKeyFile>(publisher.tsig).path, "/etc/daneguard/tsig.key");
  EXPECT_FALSE(publisher.zone);
}

TEST(ConfigParser, EveryKeyReachesTheValueTypes) {
  const auto config = loadConfigFile(testing::testDataPath("good/config/every_key.toml"));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->state_dir, "/srv/daneguard/state");
  EXPECT_EQ(config->rollover, (config::RolloverSettings{3, 0s, 30s, 2h}));

  const auto& env_key = std::get<config::Rfc2136Publisher>(*config->findPublisher("env-key"));
  EXPECT_EQ(env_key.server, (config::ServerAddress{"2001:db8::53", 5353}));
  EXPECT_EQ(env_key.zone, "example.net");
  EXPECT_EQ(env_key.tsig, config::TsigCredentials(config::TsigSecretEnvironment{
                              "daneguard.example.net.", config::TsigAlgorithm::HmacSha512,
                              "DANEGUARD_TSIG_SECRET"}));
  EXPECT_EQ(env_key.extra_servers, (std::vector<config::ServerAddress>{{"ns2.example.net", 53},
                                                                       {"198.51.100.7", 53},
                                                                       {"2001:db8::2", 53},
                                                                       {"2001:db8::3", 53}}));
  const auto& file_key = std::get<config::Rfc2136Publisher>(*config->findPublisher("file-key"));
  EXPECT_EQ(file_key.tsig,
            config::TsigCredentials(config::TsigSecretFile{
                "update", config::TsigAlgorithm::HmacSha256, "/etc/daneguard/update.secret"}));

  ASSERT_EQ(config->services.size(), 3u);
  const config::Service& smtp = *config->findService("smtp");
  EXPECT_EQ(smtp.hosts, (std::vector<std::string>{"mx1.example.net", "mx2.example.net"}));
  EXPECT_EQ(smtp.ports, (std::vector<std::uint16_t>{25, 587}));
  EXPECT_EQ(smtp.records, (std::vector<TlsaParameters>{
                              {TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha256},
                              {TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha512},
                              {TlsaUsage::DaneTa, TlsaSelector::Cert, TlsaMatchingType::Sha256}}));
  EXPECT_EQ(smtp.ttl, 300u);
  EXPECT_EQ(smtp.publisher, "env-key");
  const auto& files = std::get<config::SeparateFilesSource>(smtp.certificate);
  EXPECT_EQ(files.key, "/etc/ssl/private/smtp.key");
  EXPECT_EQ(files.certificate, "/etc/ssl/certs/smtp.crt");
  EXPECT_EQ(files.chain, "/etc/ssl/certs/smtp-chain.crt");
  EXPECT_FALSE(files.fullchain);
  EXPECT_EQ(std::get<config::HookDeploy>(smtp.deploy),
            (config::HookDeploy{{"/usr/local/sbin/deploy", "smtp", "--reload", ""}, 45s}));
  EXPECT_EQ(smtp.probe,
            (config::ProbeSettings{
                false, {{"mx1.example.net", 25}, {"2001:db8::25", 587}}, 60s, true, std::nullopt}));
  // Overrides replace single keys; the rest comes from [rollover].
  EXPECT_EQ(smtp.rollover, (config::RolloverSettings{3, 5min, 30s, 24h}));

  const config::Service& sip = *config->findService("sip");
  EXPECT_EQ(sip.protocol, config::TransportProtocol::Sctp);
  EXPECT_EQ(std::get<config::SeparateFilesSource>(sip.certificate).fullchain,
            "/etc/ssl/certs/sip-fullchain.crt");
  EXPECT_EQ(sip.rollover, config->rollover);

  const config::Service& web = *config->findService("web_2");
  EXPECT_EQ(web.protocol, config::TransportProtocol::Udp);
  EXPECT_EQ(std::get<config::CertbotLineageSource>(web.certificate),
            (config::CertbotLineageSource{"www.example.org", "/usr/local/etc/letsencrypt"}));
  EXPECT_EQ(config->findService("nope"), nullptr);
}

TEST(ConfigParser, ReportsEveryProblemInFileOrderWithPositions) {
  // Line 9 is the hosts line; columns count from 1 at the value.
  const std::string text = std::string(kPublisher) + R"(
[[services]]
name = "mail"
hosts = ["mail.example.com", "bad_host.example.com"]
ports = [25, 70000]
publisher = "ns"
ttl = 0
deploy = { type = "hook", command = ["relative/deploy"] }
certificate = { type = "pem", path = "/etc/daneguard/mail.pem", colour = "blue" }
)";
  const auto config = parseConfigText(text, "/etc/daneguard.toml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().kind, ErrorKind::Config);
  const auto reported = lines(config.error().message);
  ASSERT_EQ(reported.size(), 5u) << config.error().message;
  EXPECT_EQ(reported[0],
            "/etc/daneguard.toml:9:30: services[0].hosts[1]: invalid host name "
            "'bad_host.example.com': only letters, digits, '-' and '.' are allowed");
  EXPECT_EQ(reported[1],
            "/etc/daneguard.toml:10:14: services[0].ports[1]: expected a port number 1-65535, "
            "got 70000");
  EXPECT_THAT(reported[2], HasSubstr("/etc/daneguard.toml:12:7: services[0].ttl:"));
  EXPECT_THAT(reported[3], HasSubstr("/etc/daneguard.toml:13:38: services[0].deploy.command[0]: "
                                     "must be an absolute path"));
  EXPECT_EQ(reported[4], "/etc/daneguard.toml:14:65: unknown key 'services[0].certificate.colour'");
}

TEST(ConfigParser, CapsTheNumberOfReportedProblems) {
  std::string text = std::string(kPublisher) + std::string(kService);
  for (int i = 0; i < 30; ++i)
    text += "unknown_" + std::to_string(i) + " = 1\n";
  const auto config = parseConfigText(text, "many.toml");
  ASSERT_FALSE(config);
  const auto reported = lines(config.error().message);
  ASSERT_EQ(reported.size(), 21u);
  EXPECT_THAT(reported[0], HasSubstr("unknown key 'services[0].unknown_0'"));
  EXPECT_EQ(reported[20], "many.toml: 10 more errors not shown (fix the ones above first)");
}

TEST(ConfigParser, ReportsTomlSyntaxErrorsWithLineAndColumn) {
  const auto config = parseConfigText("state_dir = \"/var/lib/x\"\nports = [25,\n", "s.toml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().kind, ErrorKind::Config);
  EXPECT_THAT(config.error().message, ::testing::MatchesRegex("s\\.toml:[23]:[0-9]+: TOML syntax "
                                                              "error: .+"));
}

TEST(ConfigParser, NeverEchoesTsigSecrets) {
  const std::string secret = "c3VwZXJzZWNyZXQtdGVzdC12YWx1ZQ==";
  for (const std::string key : {"tsig_secret", "tsig_secret_file", "tsig_secret_env"}) {
    SCOPED_TRACE(key);
    const std::string text =
        "[publishers.ns]\ntype = \"rfc2136\"\nserver = \"ns1.example.com\"\n"
        "tsig_key_name = \"k\"\n" +
        key + " = \"" + secret + "\"\n" + std::string(kService);
    const auto config = parseConfigText(text, "secret.toml");
    ASSERT_FALSE(config);
    EXPECT_THAT(config.error().message, HasSubstr("publishers.ns." + key));
    EXPECT_THAT(config.error().message, Not(HasSubstr(secret)));
    EXPECT_THAT(config.error().message, Not(HasSubstr("c3VwZXJzZWNy")));
  }
}

TEST(ConfigParser, InlineSecretIsRefusedEvenWithValidCredentials) {
  const std::string text =
      std::string(kPublisher) + "tsig_secret = \"abc\"\n" + std::string(kService);
  const auto config = parseConfigText(text, "x.toml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message, HasSubstr("tsig_secret_file"));
  EXPECT_EQ(lines(config.error().message).size(), 1u) << config.error().message;
}

TEST(ConfigParser, AcceptsDurationsAsIntegerSeconds) {
  const auto config = parseConfigText("[rollover]\nmargin = 90\npropagation_timeout = 7200\n" +
                                          std::string(kPublisher) + std::string(kService),
                                      "d.toml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->rollover.margin, 90s);
  EXPECT_EQ(config->rollover.propagation_timeout, 2h);
}

TEST(ConfigParser, RejectsFloatsWhereIntegersBelong) {
  const auto config =
      parseConfigText(std::string(kPublisher) + std::string(kService) + "ttl = 3600.0\n", "f.toml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message,
              HasSubstr("services[0].ttl: expected an integer, got a floating-point number"));
}

TEST(ConfigParser, EscapesControlCharactersFromTheFile) {
  const auto config = parseConfigText(
      std::string(kPublisher) + std::string(kService) + "protocol = \"\\u001b[31mred\"\n",
      "c.toml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error().message, HasSubstr("unknown protocol '\\x1b[31mred'"));
  EXPECT_EQ(config.error().message.find('\x1b'), std::string::npos);
}

TEST(ConfigFile, MissingFileIsNotFound) {
  const testing::TempDir dir;
  const auto config = loadConfigFile(dir.path() / "absent.toml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().kind, ErrorKind::NotFound);
  EXPECT_THAT(config.error().message, HasSubstr("absent.toml: no such file"));
}

TEST(ConfigFile, DirectoryIsRefused) {
  const testing::TempDir dir;
  const auto config = loadConfigFile(dir.path());
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().kind, ErrorKind::Config);
  EXPECT_THAT(config.error().message, HasSubstr("is a directory"));
}

TEST(ConfigFile, OversizedFileIsRefusedBeforeParsing) {
  const testing::TempDir dir;
  const auto path = dir.write("big.toml", std::string(1024 * 1024 + 1, '#'));
  const auto config = loadConfigFile(path);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().kind, ErrorKind::Config);
  EXPECT_THAT(config.error().message, HasSubstr("1 MiB"));
}

TEST(ConfigFile, UnreadableFileIsPermission) {
  const testing::TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0711), 0);
  const auto path = dir.write("locked.toml", std::string(kPublisher) + std::string(kService));
  ASSERT_EQ(::chmod(path.c_str(), 0), 0);
  EXPECT_TRUE(testing::runUnprivileged([&path] {
    const auto config = loadConfigFile(path);
    return !config && config.error().kind == ErrorKind::Permission &&
           config.error().message.find(path.string()) != std::string::npos;
  }));
}

TEST(ConfigFile, ReadsAndNamesTheFile) {
  const testing::TempDir dir;
  const auto path = dir.write("ok.toml", std::string(kPublisher) + std::string(kService));
  const auto config = loadConfigFile(path);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->services.at(0).name, "mail");
  const auto broken = dir.write("broken.toml", "ttl = ");
  EXPECT_THAT(loadConfigFile(broken).error().message, HasSubstr(broken.string() + ":1:"));
}

}  // namespace
}  // namespace daneguard::adapters::config_toml
