// DaneBot's flags and environment variables become the expected one-service configuration.
#include "app/danebot_invocation.hpp"

#include <gtest/gtest.h>

#include <map>

namespace daneguard::testing {
namespace {

using namespace std::chrono_literals;

app::DanebotOptions minimalOptions() {
  app::DanebotOptions options;
  options.cert_file = "/etc/lego/certificates/mx.example.com.pem";
  options.domains = {"MX.example.com"};
  options.tcp_ports = {25};
  options.hook = "/etc/danebot/danebot-hook.sh";
  options.nameserver = "53.53.53.53";
  return options;
}

app::EnvironmentLookup environment(std::map<std::string, std::string> variables) {
  return [variables](std::string_view name) -> std::optional<std::string> {
    const auto found = variables.find(std::string(name));
    if (found == variables.end()) return std::nullopt;
    return found->second;
  };
}

const auto kDanebotEnvironment =
    environment({{"DANEBOT_RFC2136_TSIG_KEY", "upd"}, {"DANEBOT_RFC2136_TSIG_SECRET", "c2VjcmV0"}});

TEST(DanebotInvocation, ReadmeExampleBuildsOneServiceWithRfc2136AndHook) {
  auto options = minimalOptions();
  options.ttl = 3600;
  const auto invocation = app::danebotInvocation(options, kDanebotEnvironment);
  ASSERT_TRUE(invocation.has_value()) << invocation.error().message;
  const config::Config& config = invocation->config;
  ASSERT_EQ(config.services.size(), 1u);
  const config::Service& service = config.services[0];
  EXPECT_EQ(service.name, "danebot");
  EXPECT_EQ(service.hosts, std::vector<std::string>{"mx.example.com"});
  EXPECT_EQ(service.ports, std::vector<std::uint16_t>{25});
  EXPECT_EQ(service.protocol, config::TransportProtocol::Tcp);
  EXPECT_EQ(service.records, std::vector<TlsaParameters>{TlsaParameters{}});
  EXPECT_EQ(service.ttl, 3600u);
  EXPECT_EQ(std::get<config::PemBundleSource>(service.certificate).path,
            "/etc/lego/certificates/mx.example.com.pem");
  EXPECT_EQ(std::get<config::HookDeploy>(service.deploy).command,
            std::vector<std::string>{"/etc/danebot/danebot-hook.sh"});
  EXPECT_FALSE(service.probe.active()) << "probing only with --probe";
  const auto* publisher = std::get_if<config::Rfc2136Publisher>(config.findPublisher("danebot"));
  ASSERT_NE(publisher, nullptr);
  EXPECT_EQ(publisher->server, (config::ServerAddress{"53.53.53.53", 53}));
  const auto& tsig = std::get<config::TsigSecretEnvironment>(publisher->tsig);
  EXPECT_EQ(tsig.key_name, "upd");
  EXPECT_EQ(tsig.algorithm, config::TsigAlgorithm::HmacSha256);
  EXPECT_EQ(tsig.variable, "DANEBOT_RFC2136_TSIG_SECRET");
  EXPECT_FALSE(invocation->tsig_secret.has_value());
  EXPECT_TRUE(invocation->warnings.empty());
}

struct FlagCase {
  std::string name;
  std::function<void(app::DanebotOptions&)> change;
  std::function<void(const app::DanebotInvocation&)> check;
};

TEST(DanebotInvocation, EachFlagLandsWhereItShould) {
  const std::vector<FlagCase> cases{
      {"repeated -d and --tcp, duplicates dropped",
       [](auto& o) {
         o.domains = {"mx.example.com", "mx2.example.com", "MX.example.com."};
         o.tcp_ports = {25, 465, 25};
       },
       [](const auto& i) {
         EXPECT_EQ(i.config.services[0].hosts,
                   (std::vector<std::string>{"mx.example.com", "mx2.example.com"}));
         EXPECT_EQ(i.config.services[0].ports, (std::vector<std::uint16_t>{25, 465}));
       }},
      {"IPv6 name server with port", [](auto& o) { o.nameserver = "[2001:db8::53]:5353"; },
       [](const auto& i) {
         const auto& p = std::get<config::Rfc2136Publisher>(i.config.publishers.at("danebot"));
         EXPECT_EQ(p.server, (config::ServerAddress{"2001:db8::53", 5353}));
       }},
      {"host name server with port", [](auto& o) { o.nameserver = "ns1.example.com:53"; },
       [](const auto& i) {
         const auto& p = std::get<config::Rfc2136Publisher>(i.config.publishers.at("danebot"));
         EXPECT_EQ(p.server, (config::ServerAddress{"ns1.example.com", 53}));
       }},
      {"--ttl", [](auto& o) { o.ttl = 300; },
       [](const auto& i) { EXPECT_EQ(i.config.services[0].ttl, 300u); }},
      {"--propagation-time is the propagation timeout",
       [](auto& o) { o.propagation_time = std::chrono::seconds(5); },
       [](const auto& i) {
         EXPECT_EQ(i.config.services[0].rollover.propagation_timeout, 5s);
         EXPECT_LE(i.config.services[0].rollover.poll_interval, 5s);
       }},
      {"--rfc2136-tsig-algo", [](auto& o) { o.tsig_algorithm = "HMAC-SHA512"; },
       [](const auto& i) {
         const auto& p = std::get<config::Rfc2136Publisher>(i.config.publishers.at("danebot"));
         EXPECT_EQ(std::get<config::TsigSecretEnvironment>(p.tsig).algorithm,
                   config::TsigAlgorithm::HmacSha512);
       }},
      {"--rfc2136-tsig-key overrides the environment", [](auto& o) { o.tsig_key = "other"; },
       [](const auto& i) {
         const auto& p = std::get<config::Rfc2136Publisher>(i.config.publishers.at("danebot"));
         EXPECT_EQ(std::get<config::TsigSecretEnvironment>(p.tsig).key_name, "other");
       }},
      {"--rfc2136-tsig-secret is kept apart and warned about",
       [](auto& o) { o.tsig_secret = "YXJndg=="; },
       [](const auto& i) {
         ASSERT_TRUE(i.tsig_secret.has_value());
         EXPECT_EQ(i.tsig_secret->revealText(), "YXJndg==");
         ASSERT_EQ(i.warnings.size(), 1u);
         EXPECT_NE(i.warnings[0].find("DANEBOT_RFC2136_TSIG_SECRET"), std::string::npos);
         EXPECT_EQ(i.warnings[0].find("YXJndg=="), std::string::npos);
       }},
      {"--probe probes the first name and port", [](auto& o) { o.probe = true; },
       [](const auto& i) {
         EXPECT_TRUE(i.warnings.empty());
         const config::ProbeSettings& probe = i.config.services.at(0).probe;
         EXPECT_TRUE(probe.active());
         ASSERT_EQ(probe.endpoints.size(), 1u);
         EXPECT_EQ(probe.endpoints[0].host, i.config.services[0].hosts.front());
         EXPECT_EQ(probe.endpoints[0].port, i.config.services[0].ports.front());
       }},
  };
  for (const FlagCase& flag_case : cases) {
    SCOPED_TRACE(flag_case.name);
    auto options = minimalOptions();
    flag_case.change(options);
    const auto invocation = app::danebotInvocation(options, kDanebotEnvironment);
    ASSERT_TRUE(invocation.has_value()) << invocation.error().message;
    flag_case.check(*invocation);
  }
}

TEST(DanebotInvocation, MissingOrBadFlagsAreUsageErrorsNamingTheFlag) {
  const std::vector<std::pair<std::function<void(app::DanebotOptions&)>, std::string>> cases{
      {[](auto& o) { o.cert_file.reset(); }, "--cert-file"},
      {[](auto& o) { o.domains.clear(); }, "--domain"},
      {[](auto& o) { o.tcp_ports.clear(); }, "--tcp"},
      {[](auto& o) { o.hook.reset(); }, "--hook"},
      {[](auto& o) { o.nameserver.reset(); }, "--rfc2136-nameserver"},
      {[](auto& o) { o.nameserver = "[::1"; }, "--rfc2136-nameserver"},
      {[](auto& o) { o.tsig_algorithm = "hmac-md5"; }, "refused"},
      {[](auto& o) { o.domains = {"bad..name"}; }, "-d bad..name"},
  };
  for (const auto& [change, expected] : cases) {
    auto options = minimalOptions();
    change(options);
    const auto invocation = app::danebotInvocation(options, kDanebotEnvironment);
    ASSERT_FALSE(invocation.has_value()) << expected;
    EXPECT_EQ(invocation.error().kind, ErrorKind::Usage) << expected;
    EXPECT_NE(invocation.error().message.find(expected), std::string::npos)
        << invocation.error().message;
  }
}

TEST(DanebotInvocation, KeyAndSecretComeFromTheEnvironmentOrFlagsAndAreRequired) {
  const auto no_key = app::danebotInvocation(
      minimalOptions(), environment({{"DANEBOT_RFC2136_TSIG_SECRET", "c2VjcmV0"}}));
  ASSERT_FALSE(no_key.has_value());
  EXPECT_NE(no_key.error().message.find("DANEBOT_RFC2136_TSIG_KEY"), std::string::npos);

  const auto no_secret =
      app::danebotInvocation(minimalOptions(), environment({{"DANEBOT_RFC2136_TSIG_KEY", "upd"}}));
  ASSERT_FALSE(no_secret.has_value());
  EXPECT_NE(no_secret.error().message.find("DANEBOT_RFC2136_TSIG_SECRET"), std::string::npos);

  auto from_flags = minimalOptions();
  from_flags.tsig_key = "flagkey";
  from_flags.tsig_secret = "c2VjcmV0";
  const auto flags = app::danebotInvocation(from_flags, environment({}));
  ASSERT_TRUE(flags.has_value()) << flags.error().message;
  const auto& p = std::get<config::Rfc2136Publisher>(flags->config.publishers.at("danebot"));
  EXPECT_EQ(std::get<config::TsigSecretEnvironment>(p.tsig).key_name, "flagkey");
}

}  // namespace
}  // namespace daneguard::testing
