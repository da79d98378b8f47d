// A service with dual certificates (RSA + ECDSA) end to end: the real daneguard binary with a
// TOML configuration listing two `pem` sources, BIND primary and secondary in a private network
// namespace (support/e2e_world.hpp), and a deploy hook script that checks with the openssl CLI
// what it was given for each key type. Renewing only the RSA certificate with a new key must
// publish only its record, wait out the cache window, deploy both, and retire only the old RSA
// record.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "integration/support/e2e_world.hpp"

namespace daneguard::testing {
namespace {

using namespace std::chrono_literals;
using Records = std::multiset<std::string>;
namespace fs = std::filesystem;

std::string both(const CommandResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\n--- stdout\n" + result.out +
         "--- stderr\n" + result.err;
}

std::string readWhole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void writeFile(const fs::path& path, const std::string& content) {
  const fs::path temporary = path.string() + ".new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
  }
  fs::rename(temporary, path);
}

/// One hook run: when, the primary's fingerprint, and per key type "fingerprint|key matches".
struct DualHookCall {
  double time = 0;
  std::string key_types;
  std::string primary_fingerprint;
  std::map<std::string, std::string> by_type;
};

class DualCertificateWorld {
 public:
  DualCertificateWorld() {
    fs::create_directories(service_dir());
    fs::create_directories(hook_dir());
    // The hook records, for every key type it is told about, the fingerprint of that
    // certificate and whether the staged key is that certificate's key (openssl CLI).
    writeFile(hookPath(),
              "#!/bin/sh\n"
              "line=\"$(date +%s.%N)|$DANEGUARD_KEY_TYPES|$(openssl x509 -in "
              "\"$DANEGUARD_CERT_FILE\" -noout -fingerprint -sha256)\"\n"
              "for type in $DANEGUARD_KEY_TYPES; do\n"
              "  eval cert=\"\\$DANEGUARD_CERT_FILE_$type\"\n"
              "  eval key=\"\\$DANEGUARD_KEY_FILE_$type\"\n"
              "  fp=$(openssl x509 -in \"$cert\" -noout -fingerprint -sha256)\n"
              "  match=no\n"
              "  if [ \"$(openssl x509 -in \"$cert\" -noout -pubkey)\" = "
              "\"$(openssl pkey -in \"$key\" -pubout)\" ]; then match=yes; fi\n"
              "  line=\"$line|$type=$fp=$match\"\n"
              "done\n"
              "echo \"$line\" >> " +
                  (hook_dir() / "calls").string() + "\n");
    fs::permissions(hookPath(), fs::perms::owner_all);
    const auto& sandbox = world.sandbox();
    writeFile(world.configPath(),
              "state_dir = \"" + world.stateDir().string() +
                  "\"\n"
                  "[rollover]\npoll_interval = \"1s\"\nmargin = \"1s\"\n"
                  "[publishers.primary]\ntype = \"rfc2136\"\nserver = \"" +
                  sandbox.updateServer().host + "\"\ntsig_key_file = \"" +
                  sandbox.updateKey().path.string() +
                  "\"\n"
                  "[[services]]\nname = \"mail\"\nhosts = [\"mail.example.test\"]\n"
                  "ports = [25]\nttl = 2\npublisher = \"primary\"\n"
                  "[[services.certificate]]\ntype = \"pem\"\npath = \"" +
                  rsaPath().string() +
                  "\"\n"
                  "[[services.certificate]]\ntype = \"pem\"\npath = \"" +
                  ecdsaPath().string() +
                  "\"\n"
                  "[services.deploy]\ntype = \"hook\"\ncommand = [\"" +
                  hookPath().string() +
                  "\"]\ntimeout = \"20s\"\n"
                  "[services.probe]\nenabled = false\n");
  }

  E2eWorld world;
  fs::path service_dir() const { return world.directory() / "dual-service"; }
  fs::path hook_dir() const { return world.directory() / "dual-hook"; }
  fs::path hookPath() const { return hook_dir() / "deploy"; }
  fs::path rsaPath() const { return service_dir() / "rsa.pem"; }
  fs::path ecdsaPath() const { return service_dir() / "ecdsa.pem"; }

  std::vector<DualHookCall> hookCalls() const {
    std::vector<DualHookCall> calls;
    std::istringstream lines(readWhole(hook_dir() / "calls"));
    for (std::string line; std::getline(lines, line);) {
      std::vector<std::string> fields;
      std::istringstream parts(line);
      for (std::string field; std::getline(parts, field, '|');)
        fields.push_back(field);
      if (fields.size() < 3) continue;
      DualHookCall call{std::stod(fields[0]), fields[1], fields[2], {}};
      for (std::size_t i = 3; i < fields.size(); ++i) {
        const auto equals = fields[i].find('=');
        call.by_type[fields[i].substr(0, equals)] = fields[i].substr(equals + 1);
      }
      calls.push_back(call);
    }
    return calls;
  }
};

TEST(DualCertificateE2e, BothRecordsPublishedHookSeesBothRsaRenewalWaitsAndRetiresOnlyRsa) {
  if (auto reason = E2eWorld::unavailableReason()) GTEST_SKIP() << *reason;
  DualCertificateWorld dual;
  E2eWorld& world = dual.world;
  const E2eCertificate rsa_a = world.pki().issue("rsa-a", nullptr, "rsa");
  const E2eCertificate ecdsa = world.pki().issue("ecdsa", nullptr, "ec");
  writeFile(dual.rsaPath(), readWhole(rsa_a.bundle));
  writeFile(dual.ecdsaPath(), readWhole(ecdsa.bundle));

  // First enablement: both records, one deploy of both certificates.
  CommandResult run = world.daneguard("run", {"--wait"}, 1);
  ASSERT_EQ(run.exit_code, 0) << both(run);
  ASSERT_TRUE(pollUntil(
      [&] {
        return world.everyServerServes({rsa_a.tlsa(), ecdsa.tlsa()});
      },
      10s));
  auto calls = dual.hookCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].key_types, "RSA ECDSA");
  EXPECT_EQ(calls[0].primary_fingerprint, rsa_a.fingerprint) << "the primary is listed first";
  EXPECT_EQ(calls[0].by_type["RSA"], rsa_a.fingerprint + "=yes");
  EXPECT_EQ(calls[0].by_type["ECDSA"], ecdsa.fingerprint + "=yes");

  // Only the RSA certificate is renewed, with a new key.
  const E2eCertificate rsa_b = world.pki().issue("rsa-b", nullptr, "rsa");
  writeFile(dual.rsaPath(), readWhole(rsa_b.bundle));
  const double renewed_at = wallClockNow();
  run = world.daneguard("run", {}, 1);
  ASSERT_EQ(run.exit_code, 0) << both(run);
  EXPECT_NE(run.out.find("published 3 1 1 " + rsa_b.shortData()), std::string::npos) << both(run);
  EXPECT_EQ(run.out.find("published 3 1 1 " + ecdsa.shortData()), std::string::npos) << both(run);
  EXPECT_EQ(dual.hookCalls().size(), 1u) << "deployed before the cache window ended";
  ASSERT_TRUE(pollUntil(
      [&] {
        return world.everyServerServes({rsa_a.tlsa(), ecdsa.tlsa(), rsa_b.tlsa()});
      },
      10s));
  const CommandResult plan = world.daneguard("plan", {}, 1);
  EXPECT_NE(plan.out.find("AwaitingCacheExpiry"), std::string::npos) << both(plan);

  run = world.daneguard("run", {"--wait"}, 1);
  ASSERT_EQ(run.exit_code, 0) << both(run);
  calls = dual.hookCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].by_type["RSA"], rsa_b.fingerprint + "=yes");
  EXPECT_EQ(calls[1].by_type["ECDSA"], ecdsa.fingerprint + "=yes");
  // Old RRset TTL 2 s x 1 + 1 s margin after the new record was visible everywhere.
  EXPECT_GE(calls[1].time - renewed_at, 3.0);
  EXPECT_NE(run.out.find("retired 3 1 1 " + rsa_a.shortData()), std::string::npos) << both(run);
  EXPECT_EQ(run.out.find("retired 3 1 1 " + ecdsa.shortData()), std::string::npos) << both(run);
  EXPECT_TRUE(pollUntil(
      [&] {
        return world.everyServerServes({ecdsa.tlsa(), rsa_b.tlsa()});
      },
      10s));
}

}  // namespace
}  // namespace daneguard::testing
