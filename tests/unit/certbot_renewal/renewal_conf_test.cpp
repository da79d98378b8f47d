// The one certbot renewal conf parser (core/certbot/renewal_conf.hpp), on files as certbot 2.1
// writes them and as danectl corrupts them. Merged from the former tests of the check's and the
// certbot source's own parsers.
#include "core/certbot/renewal_conf.hpp"

#include <gtest/gtest.h>

#include <string>

namespace daneguard::testing {
namespace {

using certbot::parseRenewalConf;

// What certbot 2.1.0 writes for `certonly --dns-rfc2136 --key-type ecdsa --reuse-key`, with
// explicit key sizes added.
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
key_type = ECDSA
elliptic_curve = secp384r1
rsa_key_size = 4096
)";

const std::string kWebrootConf = R"(version = 2.1.0
[renewalparams]
account = 0123456789abcdef0123456789abcdef
authenticator = webroot
key_type = rsa
[[webroot_map]]
mail.example.test = /var/www/html
)";

TEST(CertbotRenewalConf, ReadsTheRenewalParameters) {
  const auto settings = parseRenewalConf(kReusingConf, "renewal/mail.example.test.conf");
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->reuse_key, true);
  EXPECT_TRUE(settings->reusesKey());
  EXPECT_EQ(settings->key_type, "ecdsa");
  EXPECT_EQ(settings->elliptic_curve, "secp384r1");
  EXPECT_EQ(settings->rsa_key_size, 4096);
  EXPECT_EQ(settings->authenticator, "dns-rfc2136");
}

TEST(CertbotRenewalConf, AbsentKeysStayUnset) {
  const auto settings = parseRenewalConf(kWebrootConf, "x.conf");
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_FALSE(settings->reuse_key.has_value());
  EXPECT_FALSE(settings->reusesKey());
  EXPECT_EQ(settings->key_type, "rsa");
  EXPECT_FALSE(settings->rsa_key_size);
  EXPECT_FALSE(settings->elliptic_curve);
}

TEST(CertbotRenewalConf, ReuseKeyAppendedInsideWebrootMapDoesNotCount) {
  // danectl appends the line at the end of the file: in [[webroot_map]] certbot takes it for
  // a domain name, so the key still changes at the next renewal.
  const auto settings = parseRenewalConf(kWebrootConf + "reuse_key = True\n", "x.conf");
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_FALSE(settings->reuse_key.has_value());
}

TEST(CertbotRenewalConf, KeysOutsideRenewalparamsDoNotCount) {
  const auto settings = parseRenewalConf("reuse_key = True\n[other]\nreuse_key = True\n", "x.conf");
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_FALSE(settings->reuse_key.has_value());
}

TEST(CertbotRenewalConf, FalseAnyCaseQuotedValuesAndInlineComments) {
  auto settings = parseRenewalConf("[renewalparams]\nreuse_key = false\n", "x.conf");
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->reuse_key, false);
  settings = parseRenewalConf("[ renewalparams ]\n  reuse_key = \"TRUE\"\n", "x.conf");
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->reuse_key, true);
  settings = parseRenewalConf("[renewalparams]\nreuse_key = True  # keep DANE\n", "x.conf");
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->reuse_key, true);
}

TEST(CertbotRenewalConf, NonBooleanReuseKeyIsRefusedWithFileAndLine) {
  // certbot's renewal._restore_bool accepts only True/False, so "yes" breaks renewals too.
  for (const char* word : {"yes", "maybe", "1"}) {
    const auto settings =
        parseRenewalConf(std::string("[renewalparams]\n\nreuse_key = ") + word + "\n", "r.conf");
    ASSERT_FALSE(settings) << word;
    EXPECT_EQ(settings.error().kind, ErrorKind::InvalidInput);
    EXPECT_NE(settings.error().message.find("r.conf:3: reuse_key"), std::string::npos)
        << settings.error().message;
  }
}

TEST(CertbotRenewalConf, MalformedLinesNameFileAndLine) {
  const auto no_equals = parseRenewalConf("[renewalparams]\nreuse_key True\n", "r.conf");
  ASSERT_FALSE(no_equals);
  EXPECT_NE(no_equals.error().message.find("r.conf:2:"), std::string::npos);
  const auto open_header = parseRenewalConf("[renewalparams\n", "r.conf");
  ASSERT_FALSE(open_header);
  EXPECT_NE(open_header.error().message.find("r.conf:1:"), std::string::npos);
  EXPECT_FALSE(parseRenewalConf("[renewalparams]\nrsa_key_size = 2048bits\n", "r.conf"));
}

}  // namespace
}  // namespace daneguard::testing
