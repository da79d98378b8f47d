// The DNS adapters against real BIND 9 servers on loopback (bind_fixture), with dig as the
// independent oracle for what the servers actually serve.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <thread>

#include "adapters/dns/ldns_dns_query.hpp"
#include "adapters/dns/ldns_dns_update.hpp"
#include "adapters/dns/tsig_key.hpp"
#include "adapters/dns/zone_locator.hpp"
#include "core/digest.hpp"
#include "core/hex.hpp"
#include "integration/support/bind_fixture.hpp"
#include "integration/support/secret_scan.hpp"
#include "support/run_command.hpp"

namespace daneguard::adapters::dns {
namespace {

using namespace std::chrono_literals;
using daneguard::testing::BindFixture;
using daneguard::testing::BindFixtureOptions;
using daneguard::testing::MessageLog;
using ports::DnsRcode;
using ports::DnsType;
using ports::UpdatePrerequisite;
using ports::UpdateRequest;

constexpr const char* kOwner = "_25._tcp.mail.example.test.";

TlsaRecord record311(std::string_view seed) {
  TlsaRecord record;
  record.data = sha256(ByteView(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()));
  return record;
}

std::string hexOf(const TlsaRecord& record) {
  return toHex(record.data);
}

/// dig prints "3 1 1 ABCD EF..." (upper case, split): compare on lower-case hex without spaces.
std::set<std::string> tlsaHexViaDig(const BindFixture& bind, const ports::DnsServer& server,
                                    const std::string& owner) {
  std::set<std::string> out;
  for (const auto& line : bind.digAnswer(server, owner, "TLSA")) {
    const auto at = line.find("TLSA\t");
    if (at == std::string::npos) continue;
    std::string rest = line.substr(at + 5);
    rest = rest.substr(6);  // "3 1 1 "
    std::string hex;
    for (char c : rest)
      if (!std::isspace(static_cast<unsigned char>(c)))
        hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    out.insert(hex);
  }
  return out;
}

class DnsAgainstBind : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!daneguard::testing::programExists("named")) GTEST_SKIP() << "named is not installed";
  }
  void TearDown() override {
    for (const auto& secret : secrets_)
      EXPECT_EQ(log_.findLeak(secret), "") << "an error message contains a TSIG secret";
  }

  BindFixture& startBind(BindFixtureOptions options = {}) {
    bind_ = std::make_unique<BindFixture>(std::move(options));
    secrets_.push_back(bind_->tsigSecret());
    secrets_.push_back(bind_->readOnlyKeySecret());
    return *bind_;
  }

  TsigKey fixtureKey() {
    auto key = TsigKey::fromBindKeyFile(bind_->tsigKeyPath());
    EXPECT_TRUE(key) << (key ? "" : key.error().message);
    return std::move(*key);
  }

  static UpdateOptions fastUpdates() {
    UpdateOptions options;
    options.transport = TransportOptions{std::chrono::milliseconds(2000), 2, 1};
    return options;
  }

  UpdateRequest request(std::vector<ports::TlsaRecordAt> add,
                        std::vector<ports::TlsaRecordAt> del = {}) {
    UpdateRequest update;
    update.server = bind_->primary();
    update.zone = bind_->zone();
    update.additions = std::move(add);
    update.deletions = std::move(del);
    update.ttl_seconds = 60;
    return update;
  }

  template <class T>
  Error expectError(const Result<T>& result) {
    EXPECT_FALSE(result.has_value());
    if (result) return Error{ErrorKind::Internal, "unexpected success"};
    log_.note(result.error());
    return result.error();
  }
  template <class T>
  void expectOk(const Result<T>& result) {
    EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
    if (!result) log_.note(result.error());
  }

  std::unique_ptr<BindFixture> bind_;
  std::vector<std::string> secrets_;
  MessageLog log_;
  LdnsDnsQuery query_{TransportOptions{std::chrono::milliseconds(1000), 2, 16}};
};

TEST_F(DnsAgainstBind, RecordLevelAddAndDeleteOnPrimaryAndSecondary) {
  auto& bind = startBind();
  bind.addSecondary();
  LdnsDnsUpdate updater(fixtureKey(), fastUpdates());
  const auto ours = record311("ours");
  const auto theirs = record311("someone else's");

  auto added = updater.apply(request({{kOwner, ours}, {kOwner, theirs}}));
  expectOk(added);
  ASSERT_TRUE(added);
  EXPECT_EQ(added->added, 2u);
  ASSERT_TRUE(bind.waitForSecondarySync());

  for (const auto& server : {bind.primary(), bind.secondary()}) {
    auto answer = query_.query(server, kOwner, DnsType::TLSA);
    expectOk(answer);
    ASSERT_TRUE(answer);
    EXPECT_TRUE(answer->authoritative) << server.toString();
    EXPECT_TRUE(answer->isSigned(kOwner, DnsType::TLSA)) << server.toString();
    auto records = answer->tlsaRecords(kOwner);
    std::sort(records.begin(), records.end());
    auto expected = std::vector<TlsaRecord>{ours, theirs};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(records, expected) << server.toString();
    EXPECT_EQ(answer->recordsOf(kOwner, DnsType::TLSA).front().ttl, 60u);
    EXPECT_EQ(tlsaHexViaDig(bind, server, kOwner),
              (std::set<std::string>{hexOf(ours), hexOf(theirs)}));
  }

  // Record-level delete of ours: the other record at the same name must stay.
  auto deleted = updater.apply(request({}, {{kOwner, ours}}));
  expectOk(deleted);
  ASSERT_TRUE(bind.waitForSecondarySync());
  for (const auto& server : {bind.primary(), bind.secondary()}) {
    EXPECT_EQ(tlsaHexViaDig(bind, server, kOwner), std::set<std::string>{hexOf(theirs)})
        << server.toString();
    auto answer = query_.query(server, kOwner, DnsType::TLSA);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->tlsaRecords(kOwner), std::vector<TlsaRecord>{theirs});
  }
}

TEST_F(DnsAgainstBind, StoppedSecondaryCatchesUpAfterRestart) {
  auto& bind = startBind();
  bind.addSecondary();
  const auto before = bind.serialAt(bind.secondary());
  ASSERT_TRUE(before.has_value());
  bind.stopSecondary();
  EXPECT_FALSE(bind.secondaryRunning());

  LdnsDnsUpdate updater(fixtureKey(), fastUpdates());
  const auto fresh = record311("published during the outage");
  expectOk(updater.apply(request({{kOwner, fresh}})));
  LdnsDnsQuery quick(TransportOptions{200ms, 1, 4});
  const auto down = expectError(quick.query(bind.secondary(), kOwner, DnsType::TLSA));
  EXPECT_EQ(down.kind, ErrorKind::Transient);
  EXPECT_GT(bind.serialAt(bind.primary()).value(), *before);

  bind.startSecondary();  // returns once the serials are equal again
  auto answer = query_.query(bind.secondary(), kOwner, DnsType::TLSA);
  expectOk(answer);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->tlsaRecords(kOwner), std::vector<TlsaRecord>{fresh});
  EXPECT_TRUE(answer->isSigned(kOwner, DnsType::TLSA));
}

TEST_F(DnsAgainstBind, TcpOnlyAndTruncationFallback) {
  BindFixtureOptions options;
  // 20 SHA2-512 records plus their RRSIG exceed the 1232-byte EDNS buffer: BIND sets TC.
  for (int i = 0; i < 20; ++i) {
    const std::string seed = "big" + std::to_string(i);
    options.extra_records +=
        "_443._tcp.big IN TLSA 3 1 2 " +
        toHex(sha512(ByteView(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()))) +
        "\n";
  }
  auto& bind = startBind(options);
  const std::string big = "_443._tcp.big.example.test.";

  auto over_udp = query_.query(bind.primary(), big, DnsType::TLSA);
  expectOk(over_udp);
  ASSERT_TRUE(over_udp);
  EXPECT_TRUE(over_udp->over_tcp) << "a truncated UDP reply must be retried over TCP";
  EXPECT_EQ(over_udp->tlsaRecords(big).size(), 20u);
  EXPECT_TRUE(over_udp->isSigned(big, DnsType::TLSA));

  LdnsDnsQuery tcp_only(TransportOptions{1000ms, 1, 4}, /*tcp_only=*/true);
  auto over_tcp = tcp_only.query(bind.primary(), "mail.example.test.", DnsType::A);
  expectOk(over_tcp);
  ASSERT_TRUE(over_tcp);
  EXPECT_TRUE(over_tcp->over_tcp);
  ASSERT_EQ(over_tcp->recordsOf("mail.example.test.", DnsType::A).size(), 1u);
  EXPECT_EQ(over_tcp->recordsOf("mail.example.test.", DnsType::A).front().rdata_text, "127.0.0.1");

  auto small = query_.query(bind.primary(), "mail.example.test.", DnsType::A);
  ASSERT_TRUE(small);
  EXPECT_FALSE(small->over_tcp);
}

TEST_F(DnsAgainstBind, NoTlsaYieldsNoDataWithSoaAndNegativeTtl) {
  BindFixtureOptions options;
  options.soa_ttl = 30;
  options.soa_minimum = 120;
  auto& bind = startBind(options);
  auto answer = query_.query(bind.primary(), kOwner, DnsType::TLSA);
  expectOk(answer);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->rcode, DnsRcode::NxDomain) << "_25._tcp.mail does not exist at all yet";

  auto nodata = query_.query(bind.primary(), "mail.example.test.", DnsType::TLSA);
  ASSERT_TRUE(nodata);
  EXPECT_EQ(nodata->rcode, DnsRcode::NoError);
  EXPECT_TRUE(nodata->authoritative);
  EXPECT_TRUE(nodata->isNoData("mail.example.test.", DnsType::TLSA));
  ASSERT_TRUE(nodata->authority_soa.has_value());
  EXPECT_EQ(nodata->authority_soa->zone, "example.test.");
  EXPECT_EQ(nodata->authority_soa->minimum, 120u);
  EXPECT_EQ(nodata->authority_soa->negativeTtl(), 30u) << "min(SOA MINIMUM 120, SOA TTL 30)";
  ASSERT_TRUE(answer->authority_soa.has_value());
  EXPECT_EQ(answer->authority_soa->negativeTtl(), 30u);
}

TEST_F(DnsAgainstBind, WrongSecretIsBadSig) {
  auto& bind = startBind();
  auto wrong = TsigKey::create(bind.tsigKeyName(), "hmac-sha256",
                               "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZyE=", "test");
  ASSERT_TRUE(wrong);
  secrets_.emplace_back("d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZyE=");
  LdnsDnsUpdate updater(std::move(*wrong), fastUpdates());
  const auto error = expectError(updater.apply(request({{kOwner, record311("x")}})));
  EXPECT_EQ(error.kind, ErrorKind::AuthFailure) << error.message;
  EXPECT_NE(error.message.find("TSIG key 'tlsa-update-key' rejected by " +
                               bind.primary().toString() + ": NOTAUTH/BADSIG"),
            std::string::npos)
      << error.message;
  EXPECT_TRUE(tlsaHexViaDig(bind, bind.primary(), kOwner).empty());
}

TEST_F(DnsAgainstBind, UnknownKeyNameIsBadKey) {
  auto& bind = startBind();
  auto unknown = TsigKey::create("nobody-knows-me", "hmac-sha256", bind.tsigSecret(), "test");
  ASSERT_TRUE(unknown);
  LdnsDnsUpdate updater(std::move(*unknown), fastUpdates());
  const auto error = expectError(updater.apply(request({{kOwner, record311("x")}})));
  EXPECT_EQ(error.kind, ErrorKind::AuthFailure) << error.message;
  EXPECT_NE(error.message.find("NOTAUTH/BADKEY"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("'nobody-knows-me'"), std::string::npos) << error.message;
}

TEST_F(DnsAgainstBind, RefusedNotZoneAndNotAuthAreRejected) {
  auto& bind = startBind();
  LdnsDnsUpdate updater(fixtureKey(), fastUpdates());

  auto outside = request({{"_25._tcp.x.other.", record311("x")}});
  const auto notzone = expectError(updater.apply(outside));
  EXPECT_EQ(notzone.kind, ErrorKind::Rejected);
  EXPECT_NE(notzone.message.find("NOTZONE: _25._tcp.x.other. is not in zone example.test."),
            std::string::npos)
      << notzone.message;

  auto other_zone = request({{"_25._tcp.x.other.test.", record311("x")}});
  other_zone.zone = "other.test.";
  const auto notauth = expectError(updater.apply(other_zone));
  EXPECT_EQ(notauth.kind, ErrorKind::Rejected) << notauth.message;
  EXPECT_TRUE(notauth.message.find("NOTAUTH") != std::string::npos ||
              notauth.message.find("REFUSED") != std::string::npos)
      << notauth.message;

  auto readonly = TsigKey::fromBindKeyFile(bind.readOnlyKeyPath());
  ASSERT_TRUE(readonly);
  LdnsDnsUpdate readonly_updater(std::move(*readonly), fastUpdates());
  const auto refused = expectError(readonly_updater.apply(request({{kOwner, record311("x")}})));
  EXPECT_EQ(refused.kind, ErrorKind::Rejected);
  EXPECT_NE(refused.message.find(bind.primary().toString() +
                                 " refused the update for zone example.test.: REFUSED"),
            std::string::npos)
      << refused.message;
  EXPECT_TRUE(tlsaHexViaDig(bind, bind.primary(), kOwner).empty());
}

TEST_F(DnsAgainstBind, PrerequisitesActAsCompareAndSwap) {
  auto& bind = startBind();
  LdnsDnsUpdate updater(fixtureKey(), fastUpdates());
  const auto current = record311("current");
  const auto next = record311("next");

  // The RRset must equal {current}, but there is no RRset yet: NXRRSET, nothing applied.
  auto guarded = request({{kOwner, next}});
  guarded.prerequisites.push_back({UpdatePrerequisite::Kind::TlsaRrsetEquals, kOwner, {current}});
  const auto nxrrset = expectError(updater.apply(guarded));
  EXPECT_EQ(nxrrset.kind, ErrorKind::PreconditionFailed) << nxrrset.message;
  EXPECT_NE(nxrrset.message.find("NXRRSET"), std::string::npos) << nxrrset.message;
  EXPECT_TRUE(tlsaHexViaDig(bind, bind.primary(), kOwner).empty());

  auto absent_first = request({{kOwner, current}});
  absent_first.prerequisites.push_back({UpdatePrerequisite::Kind::TlsaRrsetAbsent, kOwner, {}});
  expectOk(updater.apply(absent_first));
  const auto yxrrset = expectError(updater.apply(absent_first));
  EXPECT_EQ(yxrrset.kind, ErrorKind::PreconditionFailed);
  EXPECT_NE(yxrrset.message.find("YXRRSET"), std::string::npos) << yxrrset.message;

  auto name_free = request({{"_25._tcp.mail.example.test.", next}});
  name_free.prerequisites.push_back(
      {UpdatePrerequisite::Kind::NameNotInUse, "mail.example.test.", {}});
  const auto yxdomain = expectError(updater.apply(name_free));
  EXPECT_EQ(yxdomain.kind, ErrorKind::PreconditionFailed);
  EXPECT_NE(yxdomain.message.find("YXDOMAIN"), std::string::npos) << yxdomain.message;

  // Now the compare part holds: the swap goes through.
  expectOk(updater.apply(guarded));
  EXPECT_EQ(tlsaHexViaDig(bind, bind.primary(), kOwner),
            (std::set<std::string>{hexOf(current), hexOf(next)}));
}

TEST_F(DnsAgainstBind, KeySourcesAllSignAcceptedUpdates) {
  auto& bind = startBind();
  daneguard::testing::TempDir dir;
  const auto secret_file = dir.write("secret", bind.tsigSecret() + "\n");
  auto from_secret_file = TsigKey::fromSecretFile(secret_file, bind.tsigKeyName());
  ASSERT_TRUE(from_secret_file);
  LdnsDnsUpdate via_file(std::move(*from_secret_file), fastUpdates());
  expectOk(via_file.apply(request({{kOwner, record311("file")}})));

  ::setenv(kTsigKeyNameVariable, bind.tsigKeyName().c_str(), 1);
  ::setenv(kTsigSecretVariable, bind.tsigSecret().c_str(), 1);
  auto from_env = TsigKey::fromEnvironment();
  ::unsetenv(kTsigSecretVariable);
  ASSERT_TRUE(from_env);
  UpdateOptions tcp = fastUpdates();
  tcp.tcp_only = true;
  LdnsDnsUpdate via_env(std::move(*from_env), tcp);
  auto over_tcp = via_env.apply(request({{kOwner, record311("env")}}));
  expectOk(over_tcp);
  ASSERT_TRUE(over_tcp);
  EXPECT_TRUE(over_tcp->over_tcp);
  EXPECT_EQ(tlsaHexViaDig(bind, bind.primary(), kOwner),
            (std::set<std::string>{hexOf(record311("file")), hexOf(record311("env"))}));
}

/// A UDP port that is bound (so no ICMP port-unreachable comes back) but never answers.
class SilentUdpPort {
 public:
  SilentUdpPort() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~SilentUdpPort() { ::close(fd_); }
  SilentUdpPort(const SilentUdpPort&) = delete;
  SilentUdpPort& operator=(const SilentUdpPort&) = delete;
  [[nodiscard]] ports::DnsServer server() const { return {"127.0.0.1", port_}; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST_F(DnsAgainstBind, DeadServerQueryIsTransientAndUpdateIsAmbiguous) {
  SilentUdpPort silent;
  LdnsDnsQuery quick(TransportOptions{200ms, 2, 4});
  const auto started = std::chrono::steady_clock::now();
  const auto query_error = expectError(quick.query(silent.server(), kOwner, DnsType::TLSA));
  EXPECT_EQ(query_error.kind, ErrorKind::Transient);
  EXPECT_NE(query_error.message.find("timeout after 2 tries (0.2 s each)"), std::string::npos)
      << query_error.message;
  EXPECT_NE(query_error.message.find(silent.server().toString()), std::string::npos);

  auto key = TsigKey::create("k", "hmac-sha256", "c2VjcmV0LWRlYWQtc2VydmVyLXRlc3Q=", "test");
  secrets_.emplace_back("c2VjcmV0LWRlYWQtc2VydmVyLXRlc3Q=");
  ASSERT_TRUE(key);
  UpdateOptions options;
  options.transport = TransportOptions{200ms, 3, 1};
  LdnsDnsUpdate updater(std::move(*key), options);
  UpdateRequest update;
  update.server = silent.server();
  update.zone = "example.test.";
  update.additions = {{kOwner, record311("x")}};
  const auto update_error = expectError(updater.apply(update));
  EXPECT_EQ(update_error.kind, ErrorKind::Ambiguous) << update_error.message;
  EXPECT_NE(update_error.message.find("timeout after 3 tries (0.2 s each) sending UPDATE for zone "
                                      "example.test. to " +
                                      silent.server().toString() + " over UDP"),
            std::string::npos)
      << update_error.message;
  EXPECT_NE(update_error.message.find("outcome unknown, re-query before retrying"),
            std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST_F(DnsAgainstBind, ZoneDiscoveryWalksUpToTheApex) {
  auto& bind = startBind();
  QueryingZoneLocator locator(query_, ZoneLocatorOptions{bind.primary(), {}, {}, bind.port()});
  auto apex = locator.discoverZone("_25._TCP.deep.below.Mail.Example.Test");
  expectOk(apex);
  ASSERT_TRUE(apex);
  EXPECT_EQ(apex->zone, "example.test.");
  EXPECT_EQ(apex->soa.serial, bind.serialAt(bind.primary()).value());
  EXPECT_EQ(apex->soa.minimum, 120u);

  const auto outside = expectError(locator.discoverZone("_25._tcp.mail.other.test."));
  EXPECT_EQ(outside.kind, ErrorKind::Rejected);
  EXPECT_NE(outside.message.find("is not authoritative for any zone containing "
                                 "_25._tcp.mail.other.test."),
            std::string::npos)
      << outside.message;
}

TEST_F(DnsAgainstBind, AuthorityDiscoveryFindsEveryAddressIncludingTheSecondary) {
  auto& bind = startBind();
  bind.addSecondary();
  QueryingZoneLocator locator(query_, ZoneLocatorOptions{bind.primary(), {}, {}, bind.port()});
  auto servers = locator.authoritativeAddresses("example.test.");
  expectOk(servers);
  ASSERT_TRUE(servers);
  std::set<std::string> labels;
  for (const auto& server : *servers)
    labels.insert(server.label());
  const std::string port = std::to_string(bind.port());
  EXPECT_EQ(labels, (std::set<std::string>{"ns1.example.test. (127.0.0.1:" + port + ")",
                                           "ns2.example.test. ([::1]:" + port + ")"}))
      << "the update target 127.0.0.1 is ns1 and must not be listed twice";

  const ports::DnsServer extra{"127.0.0.3", bind.port()};
  QueryingZoneLocator with_extra(query_,
                                 ZoneLocatorOptions{bind.primary(), {}, {extra}, bind.port()});
  auto extended = with_extra.authoritativeAddresses("example.test.");
  ASSERT_TRUE(extended);
  ASSERT_EQ(extended->size(), 3u);
  EXPECT_EQ(extended->back().label(), "extra server (127.0.0.3:" + port + ")");

  // Every address answers authoritatively for the zone, in one concurrent batch.
  std::vector<ports::DnsQuestion> questions;
  for (const auto& server : *servers)
    questions.push_back({server.address, "example.test.", DnsType::SOA, false});
  for (const auto& answer : query_.queryAll(questions)) {
    expectOk(answer);
    if (answer) {
      EXPECT_TRUE(answer->authoritative);
    }
  }

  // A stopped secondary times out while the others answer, without delaying them serially.
  bind.stopSecondary();
  LdnsDnsQuery quick(TransportOptions{300ms, 2, 8});
  const auto started = std::chrono::steady_clock::now();
  std::vector<ports::DnsQuestion> many;
  for (int i = 0; i < 5; ++i)
    for (const auto& question : questions)
      many.push_back(question);
  const auto results = quick.queryAll(many);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms) << "queries must run concurrently";
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (many[i].server == bind.secondary()) {
      const auto error = expectError(results[i]);
      EXPECT_EQ(error.kind, ErrorKind::Transient);
    } else {
      expectOk(results[i]);
    }
  }
  bind.startSecondary();
  EXPECT_TRUE(bind.secondaryRunning());
}

TEST_F(DnsAgainstBind, OutOfZoneNameServerIsResolvedThroughTheConfiguredResolver) {
  // A second BIND plays the resolver: it is authoritative for elsewhere.test., where the
  // first zone's third NS lives.
  BindFixtureOptions elsewhere_options;
  elsewhere_options.zone = "elsewhere.test.";
  elsewhere_options.extra_records = "ns9 A 127.0.0.9\n";  // distinct: addresses are deduplicated
  BindFixture elsewhere(elsewhere_options);
  secrets_.push_back(elsewhere.tsigSecret());
  BindFixtureOptions options;
  options.extra_records = "@ NS ns9.elsewhere.test.\n";
  auto& bind = startBind(options);
  QueryingZoneLocator locator(
      query_, ZoneLocatorOptions{bind.primary(), elsewhere.primary(), {}, bind.port()});
  auto servers = locator.authoritativeAddresses("example.test.");
  expectOk(servers);
  ASSERT_TRUE(servers);
  std::set<std::string> labels;
  for (const auto& server : *servers)
    labels.insert(server.label());
  const std::string port = std::to_string(bind.port());
  EXPECT_EQ(labels, (std::set<std::string>{"ns9.elsewhere.test. (127.0.0.9:" + port + ")",
                                           "ns1.example.test. (127.0.0.1:" + port + ")",
                                           "ns2.example.test. ([::1]:" + port + ")"}));
}

TEST_F(DnsAgainstBind, OutOfZoneNameServerWithoutAddressStopsDiscovery) {
  BindFixtureOptions options;
  options.extra_records = "@ NS ns.elsewhere.invalid.\n";
  auto& bind = startBind(options);
  QueryingZoneLocator locator(query_, ZoneLocatorOptions{bind.primary(), {}, {}, bind.port()});
  const auto error = expectError(locator.authoritativeAddresses("example.test."));
  EXPECT_NE(error.message.find("name server ns.elsewhere.invalid. has no A or AAAA record"),
            std::string::npos)
      << error.message;
}

}  // namespace
}  // namespace daneguard::adapters::dns
