// `daneguard check`: the DANE rules over one RRset and a real chain (tools/gen-test-pki.sh), the
// DNSSEC check against a fake validating lookup, and the one-line output format.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "adapters/openssl/pem_bundle.hpp"
#include "app/check/dane_rules.hpp"
#include "app/check/service_checks.hpp"
#include "core/tlsa/tlsa_compute.hpp"
#include "core/tlsa/tlsa_presentation.hpp"
#include "support/test_pki.hpp"

namespace daneguard::testing {
namespace {

using namespace std::chrono_literals;
using app::check::Finding;
using app::check::Findings;
using app::check::Severity;

const std::string kOwner = "_25._tcp.mail.example.test.";

CertificateChain servedChain() {
  auto chain = adapters::openssl::loadCertificateChain(testPkiDir("ecdsa-p256") / "fullchain.pem");
  EXPECT_TRUE(chain.has_value());
  return *chain;
}

TlsaRecord parse(const std::string& text) {
  auto record = parseTlsaRdata(text);
  EXPECT_TRUE(record.has_value()) << text;
  return *record;
}

/// The record with `parameters` ("3 1 1") for the certificate at `depth` of the served chain.
TlsaRecord matching(const std::string& parameters, std::size_t depth = 0) {
  const CertificateChain chain = servedChain();
  const std::size_t digits = parameters.back() == '2' ? 128 : 64;
  const TlsaRecord shape = parse(parameters + " " + std::string(digits, '0'));
  return TlsaRecord{shape.parameters,
                    *tlsaAssociationData(chain.certificates.at(depth), shape.parameters.selector,
                                         shape.parameters.matching_type)};
}

Findings check(const std::vector<TlsaRecord>& records, std::uint16_t port = 25,
               std::chrono::seconds ttl = 3600s) {
  const app::check::PublishedRrset rrset{"mail", kOwner, port, records, ttl};
  return app::check::checkTlsaRules(rrset, servedChain());
}

std::vector<const Finding*> withSeverity(const Findings& findings, Severity severity) {
  std::vector<const Finding*> out;
  for (const Finding& finding : findings)
    if (finding.severity == severity) out.push_back(&finding);
  return out;
}

bool anyMessage(const Findings& findings, Severity severity, std::string_view text) {
  return std::ranges::any_of(findings, [&](const Finding& finding) {
    return finding.severity == severity && finding.message.find(text) != std::string::npos &&
           finding.service == "mail" && finding.subject == kOwner && !finding.fix.empty();
  });
}

TEST(CheckRules, GoodDaneEeRecordIsOneOkFinding) {
  const Findings findings = check({matching("3 1 1")});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::Ok);
  EXPECT_EQ(app::check::worstSeverity(findings), Severity::Ok);
}

TEST(CheckRules, PkixUsagesOnPort25AreErrorsEvenWhenTheyMatch) {
  const Findings findings = check({matching("1 1 1"), matching("3 1 1")});
  EXPECT_TRUE(
      anyMessage(findings, Severity::Error, "usage 1 1 1 (PKIX-EE SPKI SHA2-256) on port 25"));
  EXPECT_EQ(withSeverity(findings, Severity::Error).size(), 1u);
  const Findings ta = check({parse("0 0 1 " + std::string(64, 'a')), matching("3 1 1")});
  EXPECT_TRUE(anyMessage(ta, Severity::Error, "PKIX-TA"));
  EXPECT_TRUE(withSeverity(check({matching("1 1 1")}, 443), Severity::Error).empty())
      << "PKIX usages are legitimate for HTTPS";
}

TEST(CheckRules, FullCertificateDaneEeIsAWarning) {
  const Findings findings = check({matching("3 0 1")});
  EXPECT_TRUE(anyMessage(findings, Severity::Warning, "changes at every renewal"));
  EXPECT_TRUE(withSeverity(findings, Severity::Error).empty());
}

TEST(CheckRules, StaleDaneTaGroupBesideGoodDaneEeIsAnError) {
  const Findings findings = check({matching("3 1 1"), parse("2 1 1 " + std::string(64, 'b'))});
  EXPECT_TRUE(anyMessage(findings, Severity::Error, "stale 2 1 1 (DANE-TA SPKI SHA2-256) group"));
  EXPECT_FALSE(anyMessage(findings, Severity::Error, "no usable record matches"))
      << "the 3 1 1 still authenticates";
  EXPECT_TRUE(
      withSeverity(check({matching("3 1 1"), matching("2 1 1", 1)}), Severity::Error).empty())
      << "a 2 1 1 for the served intermediate is fine";
}

TEST(CheckRules, UnmatchedSha512BesideMatchingSha256IsAnError) {
  const Findings findings = check({matching("3 1 1"), parse("3 1 2 " + std::string(128, 'c'))});
  EXPECT_TRUE(anyMessage(findings, Severity::Error, "RFC 7671 §8"));
  EXPECT_TRUE(anyMessage(findings, Severity::Error, "3 1 2 (DANE-EE SPKI SHA2-512)"));
  EXPECT_TRUE(withSeverity(check({matching("3 1 1"), matching("3 1 2")}), Severity::Error).empty());
}

TEST(CheckRules, NothingMatchingIsAnErrorAndAnEmptyRrsetToo) {
  EXPECT_TRUE(anyMessage(check({parse("3 1 1 " + std::string(64, 'd'))}), Severity::Error,
                         "no usable record matches the served chain"));
  EXPECT_TRUE(anyMessage(check({}), Severity::Error, "no TLSA record is published"));
}

TEST(CheckRules, LongTtlAndLargeRrsetsAreWarnings) {
  EXPECT_TRUE(
      anyMessage(check({matching("3 1 1")}, 25, 2 * 86400s), Severity::Warning, "TTL 172800 s"));
  EXPECT_TRUE(withSeverity(check({matching("3 1 1")}, 25, 86400s), Severity::Warning).empty());
  std::vector<TlsaRecord> many{matching("3 1 1")};
  for (int i = 0; i < 12; ++i)
    many.push_back(parse(fmt::format("3 1 1 {:064x}", i + 1)));
  EXPECT_TRUE(anyMessage(check(many), Severity::Warning, "13 records at one name"));
}

TEST(CheckRules, UnusableRecordIsAWarning) {
  // A SHA2-256 record with 2 bytes of data: the parser refuses it, a zone may still hold it.
  const TlsaRecord short_digest{matching("3 1 1").parameters, Bytes{0xab, 0xcd}};
  const Findings findings = check({matching("3 1 1"), short_digest});
  EXPECT_TRUE(std::ranges::any_of(findings, [](const Finding& finding) {
    return finding.severity == Severity::Warning &&
           finding.message.find("unusable") != std::string::npos;
  }));
}

TEST(CheckOutput, OneLinePerFindingWithItsFix) {
  const Finding finding{Severity::Error, "mail", kOwner, "usage 1 on port 25", "publish 3 1 1"};
  EXPECT_EQ(app::check::formatFinding(finding),
            "ERROR service mail: _25._tcp.mail.example.test.: usage 1 on port 25 -> fix: "
            "publish 3 1 1");
  const Finding global{Severity::Notice, "", "DNSSEC", "not checked", ""};
  EXPECT_EQ(app::check::formatFinding(global), "NOTICE DNSSEC: not checked");
  EXPECT_EQ(app::check::severityName(Severity::Warning), "warning");
  EXPECT_EQ(app::check::worstSeverity({finding, global}), Severity::Error);
  EXPECT_EQ(app::check::worstSeverity({}), Severity::Ok);
}

/// A validating lookup that answers from tables.
class FakeLookup final : public ports::DaneLookup {
 public:
  std::map<std::string, ports::ValidatedTlsa> tlsa_answers;
  ports::DnssecStatus address_status = ports::DnssecStatus::Secure;
  Result<ports::ValidatedTlsa> tlsa(const std::string& owner) override {
    const auto found = tlsa_answers.find(owner);
    if (found == tlsa_answers.end()) return fail(ErrorKind::Transient, "resolver timed out");
    return found->second;
  }
  Result<ports::ValidatedAddresses> addresses(const std::string& host) override {
    ports::ValidatedAddresses answer;
    answer.host = host;
    answer.status = address_status;
    answer.addresses = {"192.0.2.25"};
    answer.why_bogus = address_status == ports::DnssecStatus::Bogus ? "RRSIG expired" : "";
    return answer;
  }
  Result<ports::ValidatedMx> mx(const std::string& domain) override {
    ports::ValidatedMx answer;
    answer.domain = domain;
    answer.status = ports::DnssecStatus::Secure;
    return answer;
  }
};

config::Config mailConfig() {
  config::Config config;
  config::Service service;
  service.name = "mail";
  service.hosts = {"mail.example.test"};
  service.ports = {25};
  config.services.push_back(service);
  return config;
}

TEST(CheckDnssec, UnsignedBogusMissingAndSecureAnswers) {
  FakeLookup lookup;
  const config::Config config = mailConfig();
  const auto answer = [&](ports::DnssecStatus status, bool exists) {
    ports::ValidatedTlsa tlsa;
    tlsa.owner = kOwner;
    tlsa.status = status;
    tlsa.exists = exists;
    tlsa.why_bogus = status == ports::DnssecStatus::Bogus ? "signature expired" : "";
    if (exists) tlsa.records = {matching("3 1 1")};
    lookup.tlsa_answers[kOwner] = tlsa;
    return app::check::checkDnssec(config, lookup);
  };
  EXPECT_TRUE(anyMessage(answer(ports::DnssecStatus::Insecure, true), Severity::Error,
                         "not DNSSEC-signed (insecure): there is no DANE at all"));
  EXPECT_TRUE(anyMessage(answer(ports::DnssecStatus::Bogus, true), Severity::Error,
                         "bogus: signature expired"));
  EXPECT_TRUE(
      anyMessage(answer(ports::DnssecStatus::Secure, false), Severity::Error, "no TLSA RRset"));
  const Findings secure = answer(ports::DnssecStatus::Secure, true);
  EXPECT_EQ(app::check::worstSeverity(secure), Severity::Ok);
  ASSERT_EQ(secure.size(), 1u);
  EXPECT_NE(secure[0].message.find("validates (secure), 1 record(s)"), std::string::npos);

  lookup.address_status = ports::DnssecStatus::Insecure;
  const Findings insecure_host = app::check::checkDnssec(config, lookup);
  EXPECT_TRUE(std::ranges::any_of(insecure_host, [](const Finding& finding) {
    return finding.severity == Severity::Error && finding.subject == "mail.example.test" &&
           finding.message.find("RFC 7672") != std::string::npos;
  }));
  lookup.address_status = ports::DnssecStatus::Bogus;
  EXPECT_TRUE(std::ranges::any_of(app::check::checkDnssec(config, lookup), [](const Finding& f) {
    return f.severity == Severity::Error && f.message.find("RRSIG expired") != std::string::npos;
  }));
  lookup.tlsa_answers.clear();
  EXPECT_TRUE(
      anyMessage(app::check::checkDnssec(config, lookup), Severity::Error, "resolver timed out"));
}

}  // namespace
}  // namespace daneguard::testing

namespace daneguard::testing {
namespace {

/// The publisher's primary (serving `rrset` at every owner, or failing) and the certificate.
class FakeWorld final : public ports::DnsQuery,
                        public ports::PublisherDirectory,
                        public ports::CertificateLoader {
 public:
  std::vector<TlsaRecord> rrset;
  bool fails = false;
  std::vector<std::string> asked;
  Result<ports::DnsAnswer> query(const ports::DnsQuestion& question) override {
    asked.push_back(question.name);
    if (fails) return fail(ErrorKind::Transient, "timeout after 2 tries");
    ports::DnsAnswer answer;
    answer.server = question.server;
    answer.authoritative = true;
    for (const TlsaRecord& record : rrset) {
      ports::DnsRecord rr;
      rr.owner = question.name;
      rr.type = ports::DnsType::TLSA;
      rr.ttl = 3600;
      rr.rdata = {static_cast<std::uint8_t>(record.parameters.usage),
                  static_cast<std::uint8_t>(record.parameters.selector),
                  static_cast<std::uint8_t>(record.parameters.matching_type)};
      rr.rdata.insert(rr.rdata.end(), record.data.begin(), record.data.end());
      answer.answer.push_back(rr);
    }
    if (rrset.empty()) answer.rcode = ports::DnsRcode::NxDomain;
    return answer;
  }
  std::vector<Result<ports::DnsAnswer>> queryAll(
      std::span<const ports::DnsQuestion> questions) override {
    std::vector<Result<ports::DnsAnswer>> out;
    for (const auto& question : questions)
      out.push_back(query(question));
    return out;
  }
  Result<ports::PublisherDns> publisher(std::string_view /*name*/) override {
    return ports::PublisherDns{ports::DnsServer{"127.0.0.2", 53}, nullptr};
  }
  Result<ports::DnsUpdate*> updater(std::string_view /*name*/) override {
    return fail(ErrorKind::Internal, "check never updates");
  }
  Result<LoadedCertificate> load(const config::CertificateSource& /*source*/,
                                 PrivateKeyUse key) override {
    EXPECT_EQ(key, PrivateKeyUse::Skip) << "check never reads private keys";
    return LoadedCertificate{servedChain(), std::nullopt, servedChain().leaf().public_key};
  }
};

config::Config twoServices() {
  config::Config config;
  for (const auto& [name, host] :
       {std::pair{"mail", "mail.example.test"}, std::pair{"backup", "backup.example.test"}}) {
    config::Service service;
    service.name = name;
    service.hosts = {host};
    service.ports = {25};
    service.publisher = "primary";
    config.services.push_back(service);
  }
  return config;
}

TEST(CheckCollector, EveryOwnerOfEveryServiceIsCheckedAgainstTheCertificate) {
  FakeWorld world;
  world.rrset = {matching("3 1 1"), matching("1 1 1")};
  app::check::CheckPorts ports{world, world, world, nullptr, {}, {}};
  const auto findings = app::check::runChecks(twoServices(), ports, {});
  ASSERT_TRUE(findings.has_value());
  EXPECT_EQ(world.asked, (std::vector<std::string>{"_25._tcp.mail.example.test.",
                                                   "_25._tcp.backup.example.test."}));
  std::size_t pkix_errors = 0;
  for (const Finding& finding : *findings)
    if (finding.severity == Severity::Error && finding.message.find("PKIX-EE") != std::string::npos)
      ++pkix_errors;
  EXPECT_EQ(pkix_errors, 2u) << "one per service";
  EXPECT_TRUE(std::ranges::any_of(*findings, [](const Finding& finding) {
    return finding.severity == Severity::Notice && finding.subject == "DNSSEC";
  })) << "without a lookup the DNSSEC check says it did not run";
}

TEST(CheckCollector, AFailedQueryIsAFindingAndTheOtherServicesStillRun) {
  FakeWorld world;
  world.fails = true;
  app::check::CheckPorts ports{world, world, world, nullptr, {}, {}};
  const auto findings = app::check::runChecks(twoServices(), ports, {});
  ASSERT_TRUE(findings.has_value());
  EXPECT_EQ(world.asked.size(), 2u);
  EXPECT_TRUE(std::ranges::any_of(*findings, [](const Finding& finding) {
    return finding.severity == Severity::Error && finding.service == "backup" &&
           finding.message.find("127.0.0.2:53") != std::string::npos &&
           finding.message.find("timeout") != std::string::npos;
  }));
}

TEST(CheckCollector, OnlyTheNamedServicesAndUnknownNamesAreRefused) {
  FakeWorld world;
  world.rrset = {matching("3 1 1")};
  app::check::CheckPorts ports{world, world, world, nullptr, {}, {}};
  const auto findings = app::check::runChecks(twoServices(), ports, {"backup"});
  ASSERT_TRUE(findings.has_value());
  EXPECT_EQ(world.asked, std::vector<std::string>{"_25._tcp.backup.example.test."});
  const auto unknown = app::check::runChecks(twoServices(), ports, {"nope"});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().kind, ErrorKind::Config);
}

TEST(CheckCollector, PublisherAndCertbotChecksRunForTheSelectedServicesOnly) {
  FakeWorld world;
  world.rrset = {matching("3 1 1")};
  config::Config config = twoServices();
  config.services[0].certificate =
      config::CertbotLineageSource{"mail.example.test", "/etc/letsencrypt"};
  config.services[1].publisher = "other";
  config.publishers.emplace("primary", config::Publisher{});
  config.publishers.emplace("other", config::Publisher{});
  std::vector<std::string> read;
  int gathered = 0;
  app::check::CheckPorts ports{
      world,
      world,
      world,
      nullptr,
      [&](const std::string& path) -> Result<std::string> {
        read.push_back(path);
        return std::string("[renewalparams]\nreuse_key = True\n");
      },
      [&] {
        ++gathered;
        return app::check::ServerFilesGathering{
            {}, {Finding{Severity::Notice, "", "Postfix (/etc/postfix)", "gathered", ""}}};
      }};
  const auto about = [](const app::check::Findings& findings, const std::string& subject) {
    return std::ranges::count_if(findings, [&](const Finding& finding) {
      return finding.subject.find(subject) != std::string::npos;
    });
  };

  const auto mail = app::check::runChecks(config, ports, {"mail"});
  ASSERT_TRUE(mail.has_value());
  EXPECT_EQ(about(*mail, "publisher 'primary'"), 1);
  EXPECT_EQ(about(*mail, "publisher 'other'"), 0) << "not a service asked about";
  EXPECT_EQ(read, std::vector<std::string>{"/etc/letsencrypt/renewal/mail.example.test.conf"});
  EXPECT_EQ(gathered, 1);
  EXPECT_EQ(about(*mail, "Postfix (/etc/postfix)"), 1);

  const auto backup = app::check::runChecks(config, ports, {"backup"});
  ASSERT_TRUE(backup.has_value());
  EXPECT_EQ(about(*backup, "publisher 'other'"), 1);
  EXPECT_EQ(about(*backup, "publisher 'primary'"), 0);
  EXPECT_EQ(gathered, 1) << "no certbot source selected: postconf is not worth running";

  const auto all = app::check::runChecks(config, ports, {});
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(about(*all, "publisher 'primary'") + about(*all, "publisher 'other'"), 2);
}

}  // namespace
}  // namespace daneguard::testing
