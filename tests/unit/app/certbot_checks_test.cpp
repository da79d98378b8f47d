// The certbot findings of `daneguard check`: renewal confs as certbot 2.1 writes them (and as
// danectl corrupts them), Postfix parameters pointing into live/, and postconf output parsing.
#include "app/check/certbot_checks.hpp"

#include <gtest/gtest.h>

#include <map>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

namespace daneguard::testing {
namespace {

using app::check::CertbotCheckInputs;
using app::check::Finding;
using app::check::Findings;
using app::check::Severity;

// What certbot 2.1.0 writes for `certonly --dns-rfc2136 --key-type ecdsa --reuse-key`.
const std::string kReusingConf = R"(# renew_before_expiry = 30 days
version = 2.1.0
archive_dir = /etc/letsencrypt/archive/mail.example.test
cert = /etc/letsencrypt/live/mail.example.test/cert.pem
privkey = /etc/letsencrypt/live/mail.example.test/privkey.pem
chain = /etc/letsencrypt/live/mail.example.test/chain.pem
fullchain = /etc/letsencrypt/live/mail.example.test/fullchain.pem

# Options used in the renewal process
[renewalparams]
account = 0123456789abcdef0123456789abcdef
reuse_key = True
authenticator = dns-rfc2136
dns_rfc2136_credentials = /etc/letsencrypt/rfc2136.ini
server = https://acme-v02.api.letsencrypt.org/directory
key_type = ecdsa
)";

const std::string kWebrootConf = R"(version = 2.1.0
[renewalparams]
account = 0123456789abcdef0123456789abcdef
authenticator = webroot
key_type = rsa
[[webroot_map]]
mail.example.test = /var/www/html
)";

config::Config certbotConfig(std::vector<TlsaParameters> records = {TlsaParameters{}}) {
  config::Config config;
  config::Service service;
  service.name = "mail";
  service.hosts = {"mail.example.test"};
  service.ports = {25};
  service.records = std::move(records);
  service.publisher = "primary";
  service.certificate = config::CertbotLineageSource{"mail.example.test", "/etc/letsencrypt"};
  config.services.push_back(service);
  return config;
}

CertbotCheckInputs filesFrom(std::map<std::string, std::string> files) {
  CertbotCheckInputs inputs;
  inputs.read_file = [files = std::move(files)](const std::string& path) -> Result<std::string> {
    const auto found = files.find(path);
    if (found == files.end()) return fail(ErrorKind::NotFound, path + ": No such file");
    return found->second;
  };
  return inputs;
}

const std::string kConfPath = "/etc/letsencrypt/renewal/mail.example.test.conf";

std::vector<Finding> withSeverity(const Findings& findings, Severity severity) {
  std::vector<Finding> out;
  for (const Finding& finding : findings)
    if (finding.severity == severity) out.push_back(finding);
  return out;
}

TEST(CertbotChecks, SpkiServiceWithoutKeyReuseGetsAWarningWithTheFix) {
  const Findings findings =
      app::check::checkCertbotSources(certbotConfig(), filesFrom({{kConfPath, kWebrootConf}}));
  const auto warnings = withSeverity(findings, Severity::Warning);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].service, "mail");
  EXPECT_EQ(warnings[0].subject, kConfPath);
  EXPECT_NE(warnings[0].message.find("new key at every renewal"), std::string::npos);
  EXPECT_NE(warnings[0].fix.find("certbot reconfigure --cert-name mail.example.test --reuse-key"),
            std::string::npos)
      << warnings[0].fix;
  EXPECT_NE(warnings[0].fix.find("reuse_key = True"), std::string::npos);
}

TEST(CertbotChecks, ReusingLineageIsOk) {
  const Findings findings =
      app::check::checkCertbotSources(certbotConfig(), filesFrom({{kConfPath, kReusingConf}}));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::Ok);
}

TEST(CertbotChecks, KeyReuseDoesNotMatterWithoutSpkiEeRecords) {
  const Findings findings = app::check::checkCertbotSources(
      certbotConfig(
          {TlsaParameters{TlsaUsage::DaneTa, TlsaSelector::Spki, TlsaMatchingType::Sha256}}),
      filesFrom({{kConfPath, kWebrootConf}}));
  EXPECT_TRUE(findings.empty());
}

TEST(CertbotChecks, MissingRenewalConfIsReported) {
  const Findings findings = app::check::checkCertbotSources(certbotConfig(), filesFrom({}));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::Warning);
  EXPECT_NE(findings[0].message.find("No such file"), std::string::npos);
}

TEST(CertbotChecks, OtherSourcesAreIgnored) {
  config::Config config = certbotConfig();
  config.services[0].certificate = config::PemBundleSource{"/etc/letsencrypt/live/x/combo.pem"};
  EXPECT_TRUE(app::check::checkCertbotSources(config, filesFrom({})).empty());
}

TEST(CertbotChecks, PostfixReadingLiveFilesOfANonReusingLineageIsAnError) {
  CertbotCheckInputs inputs = filesFrom({{kConfPath, kWebrootConf}});
  inputs.servers.push_back(
      {"Postfix (/etc/postfix)",
       {"/etc/letsencrypt/live/mail.example.test/privkey.pem",
        "/etc/letsencrypt/live/mail.example.test/../mail.example.test/fullchain.pem",
        "/etc/ssl/other.pem"}});
  const Findings findings = app::check::checkCertbotSources(certbotConfig(), inputs);
  const auto errors = withSeverity(findings, Severity::Error);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].subject, "Postfix (/etc/postfix)");
  EXPECT_NE(errors[0].message.find("/etc/letsencrypt/live/mail.example.test/privkey.pem"),
            std::string::npos);
  EXPECT_NE(errors[1].message.find("/etc/letsencrypt/live/mail.example.test/fullchain.pem"),
            std::string::npos)
      << "paths are compared after lexical normalisation";
  EXPECT_NE(errors[0].fix.find("type = \"install\""), std::string::npos);
}

TEST(CertbotChecks, PostfixReadingLiveFilesOfAReusingLineageIsAWarning) {
  CertbotCheckInputs inputs = filesFrom({{kConfPath, kReusingConf}});
  inputs.servers.push_back(
      {"Postfix (/etc/postfix)", {"/etc/letsencrypt/archive/mail.example.test/fullchain3.pem"}});
  const Findings findings = app::check::checkCertbotSources(certbotConfig(), inputs);
  const auto warnings = withSeverity(findings, Severity::Warning);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].message.find("key is reused"), std::string::npos);
}

TEST(CertbotChecks, ASiblingLineageWithACommonPrefixDoesNotMatch) {
  CertbotCheckInputs inputs = filesFrom({{kConfPath, kWebrootConf}});
  inputs.servers.push_back(
      {"Postfix (/etc/postfix)", {"/etc/letsencrypt/live/mail.example.test-0001/fullchain.pem"}});
  EXPECT_TRUE(
      withSeverity(app::check::checkCertbotSources(certbotConfig(), inputs), Severity::Error)
          .empty());
}

TEST(Postconf, ArgvNamesTheConfigDirectoryAndExpandsValues) {
  const auto argv = app::check::postconfArgv("/srv/postfix");
  ASSERT_GE(argv.size(), 6u);
  EXPECT_EQ(argv[0], "postconf");
  EXPECT_EQ(argv[1], "-c");
  EXPECT_EQ(argv[2], "/srv/postfix");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "-x"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "smtpd_tls_chain_files"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "smtpd_tls_cert_file"), argv.end());
}

TEST(Postconf, OutputIsSplitIntoUniquePaths) {
  // Real `postconf -x -h` output: chain files as a list, the key defaulting to the cert file,
  // empty lines for unset parameters.
  const auto paths = app::check::parsePostconfFiles(
      "/etc/letsencrypt/live/m/privkey.pem, /etc/letsencrypt/live/m/fullchain.pem\n"
      "/etc/postfix/cert.pem\n/etc/postfix/cert.pem\n\n\n");
  EXPECT_EQ(paths, (std::vector<std::string>{"/etc/letsencrypt/live/m/privkey.pem",
                                             "/etc/letsencrypt/live/m/fullchain.pem",
                                             "/etc/postfix/cert.pem"}));
}

TEST(Postconf, RealPostconfOutputFindsAMainCfReadingLiveFiles) {
  if (!programExists("postconf")) GTEST_SKIP() << "postconf is not installed (postfix)";
  TempDir dir;
  dir.write("main.cf",
            "smtpd_tls_chain_files = /etc/letsencrypt/live/mail.example.test/privkey.pem,\n"
            "    /etc/letsencrypt/live/mail.example.test/fullchain.pem\n"
            "smtpd_tls_cert_file = $config_directory/legacy.pem\n");
  dir.write("master.cf", "");
  const CommandResult postconf = runCommand(app::check::postconfArgv(dir.path().string()));
  ASSERT_EQ(postconf.exit_code, 0) << postconf.err;
  const auto paths = app::check::parsePostconfFiles(postconf.out);
  // $config_directory expanded by postconf -x; the key file defaults to the cert file.
  EXPECT_EQ(paths,
            (std::vector<std::string>{"/etc/letsencrypt/live/mail.example.test/privkey.pem",
                                      "/etc/letsencrypt/live/mail.example.test/fullchain.pem",
                                      (dir.path() / "legacy.pem").string()}));
  CertbotCheckInputs inputs = filesFrom({{kConfPath, kWebrootConf}});
  inputs.servers.push_back({"Postfix (" + dir.path().string() + ")", paths});
  EXPECT_EQ(withSeverity(app::check::checkCertbotSources(certbotConfig(), inputs), Severity::Error)
                .size(),
            2u);
}

}  // namespace
}  // namespace daneguard::testing
