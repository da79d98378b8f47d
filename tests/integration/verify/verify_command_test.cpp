// The `daneguard verify` binary end to end: a signed BIND zone, a zone outside every trust
// anchor, libunbound and a real Unbound for the validated lookups, and `openssl s_server`
// (implicit TLS) as the endpoint. "Unsigned" is a child zone delegated without DS.. `openssl
// s_client -dane_tlsa_rrdata` is the independent DANE client whose verdict the OK/FAIL lines must
// agree with.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/files/unique_fd.hpp"
#include "adapters/sandbox/child_process.hpp"
#include "integration/support/bind_fixture.hpp"
#include "integration/support/unbound_fixture.hpp"
#include "integration/verify/verify_world.hpp"
#include "support/run_command.hpp"
#include "support/test_pki.hpp"

namespace daneguard::testing {
namespace {

using namespace std::chrono_literals;

bool acceptsConnections(std::uint16_t port) {
  adapters::files::UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
}

/// `openssl s_server -www` on 127.0.0.1:port with the test PKI's chain(s), implicit TLS.
class OpensslServer {
 public:
  OpensslServer(std::uint16_t port, const std::vector<std::string>& key_types,
                const std::filesystem::path& log) {
    auto program = adapters::sandbox::findProgram("openssl");
    if (!program) throw std::runtime_error(program.error().message);
    std::vector<std::string> arguments{"s_server", "-accept", "127.0.0.1:" + std::to_string(port),
                                       "-www"};
    for (std::size_t i = 0; i < key_types.size(); ++i) {
      const auto dir = testPkiDir(key_types[i]);
      const std::string prefix = i == 0 ? "-" : "-d";  // -dcert: s_server's second certificate
      arguments.insert(arguments.end(), {prefix + "cert", (dir / "leaf.pem").string(),
                                         prefix + "key", (dir / "leaf.key").string(),
                                         prefix + "cert_chain", (dir / "chain.pem").string()});
    }
    auto started = adapters::sandbox::ChildProcess::spawn(*program, arguments, log);
    if (!started) throw std::runtime_error(started.error().message);
    process_ = std::move(*started);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!acceptsConnections(port)) {
      if (!process_.running() || std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("openssl s_server did not start: " + readTextFile(log));
      std::this_thread::sleep_for(20ms);
    }
  }

 private:
  adapters::sandbox::ChildProcess process_;
};

/// The independent DANE client's verdict: true when s_client authenticates with `rdata`.
bool opensslDaneAuthenticates(std::uint16_t port, const std::string& rdata) {
  const CommandResult result =
      runCommand({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port),
                  "-servername", "mail.example.test", "-dane_tlsa_domain", "mail.example.test",
                  "-dane_tlsa_rrdata", rdata, "-verify_return_error", "-brief"});
  return result.exit_code == 0 &&
         (result.out + result.err).find("Verification: OK") != std::string::npos;
}

/// A DANE-TA record for an issuer key nothing serves (a "stale 2 1 1 group").
const std::string kStaleTaRecord = "2 1 1 " + std::string(64, 'a');

class VerifyCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = findFreePort({"127.0.0.1"});
    ecdsa_record_ = opensslSpkiSha256Record(testPkiDir("ecdsa-p256") / "leaf.pem");
    rsa_record_ = opensslSpkiSha256Record(testPkiDir("rsa2048") / "leaf.pem");
    const std::string owner = "_" + std::to_string(port_) + "._tcp.";
    signed_ = startZone("example.test.",
                        "mail A 127.0.0.1\n@ MX 10 mail\nunsigned NS ns1.unsigned\n"
                        "ns1.unsigned A 127.0.0.1\n" +
                            owner + "mail TLSA " + ecdsa_record_ + "\nstale A 127.0.0.1\n" + owner +
                            "stale TLSA " + ecdsa_record_ + "\n" + owner + "stale TLSA " +
                            kStaleTaRecord + "\nwrong A 127.0.0.1\n" + owner + "wrong TLSA " +
                            rsa_record_ + "\n");
    unsigned_ = startZone("unsigned.example.test.",
                          "mail A 127.0.0.1\n" + owner + "mail TLSA " + ecdsa_record_ + "\n");
  }

  std::string endpoint(const std::string& host) const { return host + ":" + std::to_string(port_); }

  /// libunbound in the binary, validating from the zone's DS, asking the BIND servers directly.
  std::vector<std::string> localValidation(const std::filesystem::path& anchor) const {
    return {"--trust-anchor", anchor.string(),
            "--stub",         "example.test.=" + signed_->primary().endpoint.toString(),
            "--stub",         "unsigned.example.test.=" + unsigned_->primary().endpoint.toString()};
  }

  CommandResult verify(std::vector<std::string> arguments) const {
    std::vector<std::string> argv{DANEGUARD_BINARY, "verify", "--timeout", "8"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return runCommand(argv);
  }

  std::string context(const CommandResult& result) const {
    return "exit " + std::to_string(result.exit_code) + "\nstdout:\n" + result.out + "\nstderr:\n" +
           result.err;
  }

  TempDir directory_;
  std::uint16_t port_ = 0;
  std::string ecdsa_record_;
  std::string rsa_record_;
  std::unique_ptr<adapters::sandbox::DnsSandbox> signed_;
  std::unique_ptr<adapters::sandbox::DnsSandbox> unsigned_;
};

TEST_F(VerifyCommandTest, authenticatedEndpointIsOkAndAgreesWithOpensslSClient) {
  OpensslServer server(port_, {"ecdsa-p256"}, directory_.path() / "s_server.log");
  auto args = localValidation(signed_->trustAnchorDsPath());
  args.insert(args.end(), {endpoint("mail.example.test"), "--starttls", "implicit"});
  const CommandResult result = verify(args);
  EXPECT_EQ(result.exit_code, 0) << context(result);
  const std::string ok_line = "OK     mail.example.test[127.0.0.1]:" + std::to_string(port_) +
                              " ecdsa TLSv1.3 3 1 1 matched leaf (depth 0)\n";
  EXPECT_NE(result.out.find(ok_line), std::string::npos) << context(result);
  // The server has no RSA certificate: skipped, not failed.
  EXPECT_NE(
      result.out.find("SKIP   mail.example.test[127.0.0.1]:" + std::to_string(port_) + " rsa"),
      std::string::npos)
      << context(result);
  EXPECT_TRUE(opensslDaneAuthenticates(port_, ecdsa_record_));
}

TEST_F(VerifyCommandTest, validatingResolverModeRequiresTheAdBit) {
  UnboundFixture unbound(
      UnboundFixtureOptions{{{"example.test.", signed_->primary().endpoint},
                             {"unsigned.example.test.", unsigned_->primary().endpoint}},
                            {signed_->trustAnchorDsPath()}});
  OpensslServer server(port_, {"ecdsa-p256"}, directory_.path() / "s_server.log");
  const CommandResult result =
      verify({"--resolver", unbound.endpoint().toString(), endpoint("mail.example.test"),
              "--starttls", "implicit", "--json"});
  EXPECT_EQ(result.exit_code, 0) << context(result);
  const auto document = nlohmann::json::parse(result.out);
  EXPECT_EQ(document.at("exit_code"), 0);
  bool authenticated = false;
  for (const auto& line : document.at("results")) {
    if (line.at("status") == "OK") {
      authenticated = true;
      EXPECT_EQ(line.at("matched"), ecdsa_record_);
      EXPECT_EQ(line.at("depth"), 0);
    }
  }
  EXPECT_TRUE(authenticated) << result.out;

  // The same resolver says the unsigned zone is not secure: no AD, no DANE.
  const CommandResult unsigned_result =
      verify({"--resolver", unbound.endpoint().toString(), endpoint("mail.unsigned.example.test"),
              "--starttls", "implicit"});
  EXPECT_EQ(unsigned_result.exit_code, 2) << context(unsigned_result);
  EXPECT_NE(unsigned_result.out.find("no DANE: zone unsigned"), std::string::npos);
}

TEST_F(VerifyCommandTest, wrongRecordFailsLikeOpensslSClient) {
  OpensslServer server(port_, {"ecdsa-p256"}, directory_.path() / "s_server.log");
  // From DNS: wrong.example.test publishes the RSA key's record, the server has ECDSA.
  auto args = localValidation(signed_->trustAnchorDsPath());
  args.insert(args.end(),
              {endpoint("wrong.example.test"), "--starttls", "implicit", "--key-types", "any"});
  const CommandResult from_dns = verify(args);
  EXPECT_EQ(from_dns.exit_code, 1) << context(from_dns);
  EXPECT_NE(from_dns.out.find("FAIL   wrong.example.test[127.0.0.1]:" + std::to_string(port_) +
                              " ecdsa: no TLSA record matches the chain"),
            std::string::npos)
      << context(from_dns);
  // The FAIL line names the record that would match (computed by the openssl CLI here).
  EXPECT_NE(from_dns.out.find(ecdsa_record_), std::string::npos) << context(from_dns);
  EXPECT_FALSE(opensslDaneAuthenticates(port_, rsa_record_));

  // Given on the command line: no DNS TLSA lookup, addresses from the system resolver.
  const CommandResult given = verify(
      {"127.0.0.1:" + std::to_string(port_), "--starttls", "implicit", "--tlsa", rsa_record_});
  EXPECT_EQ(given.exit_code, 1) << context(given);
  EXPECT_NE(given.out.find("FAIL "), std::string::npos) << context(given);
}

TEST_F(VerifyCommandTest, dualCertificatesWithARecordForOnlyOneAreReported) {
  OpensslServer server(port_, {"rsa2048", "ecdsa-p256"}, directory_.path() / "s_server.log");
  auto args = localValidation(signed_->trustAnchorDsPath());
  args.insert(args.end(), {endpoint("mail.example.test"), "--starttls", "implicit"});
  const CommandResult result = verify(args);
  EXPECT_EQ(result.exit_code, 1) << context(result);
  const std::string prefix = "mail.example.test[127.0.0.1]:" + std::to_string(port_);
  EXPECT_NE(result.out.find("FAIL   " + prefix + " rsa: no TLSA record matches"), std::string::npos)
      << context(result);
  EXPECT_NE(result.out.find("OK     " + prefix + " ecdsa "), std::string::npos) << context(result);
}

TEST_F(VerifyCommandTest, staleParameterGroupWarnsPerRfc7671Section8) {
  OpensslServer server(port_, {"ecdsa-p256"}, directory_.path() / "s_server.log");
  auto args = localValidation(signed_->trustAnchorDsPath());
  args.insert(args.end(),
              {endpoint("stale.example.test"), "--starttls", "implicit", "--key-types", "ecdsa"});
  const CommandResult result = verify(args);
  EXPECT_EQ(result.exit_code, 0) << context(result);
  const std::string prefix = "stale.example.test[127.0.0.1]:" + std::to_string(port_) + " ecdsa";
  EXPECT_NE(result.out.find("OK     " + prefix + " TLSv1.3 3 1 1 matched leaf"), std::string::npos)
      << context(result);
  EXPECT_NE(result.out.find("WARN   " + prefix +
                            ": RFC 7671 §8: none of the 1 2 1 1 (DANE-TA "
                            "SPKI SHA2-256) record(s) matches"),
            std::string::npos)
      << context(result);
  // A DANE client accepts the RRset (one match suffices): the warning is about fragility.
  EXPECT_TRUE(opensslDaneAuthenticates(port_, ecdsa_record_));
}

TEST_F(VerifyCommandTest, unsignedZoneMeansNoDane) {
  auto args = localValidation(signed_->trustAnchorDsPath());
  args.insert(args.end(), {endpoint("mail.unsigned.example.test"), "--starttls", "implicit"});
  const CommandResult result = verify(args);
  EXPECT_EQ(result.exit_code, 2) << context(result);
  EXPECT_EQ(result.out, "NODANE mail.unsigned.example.test:" + std::to_string(port_) +
                            ": no DANE: zone unsigned (the TLSA lookup for _" +
                            std::to_string(port_) +
                            "._tcp.mail.unsigned.example.test. is not DNSSEC-secure)\n")
      << context(result);
}

TEST_F(VerifyCommandTest, bogusSignaturesAreAnErrorOfTheirOwn) {
  auto args = localValidation(writeWrongDsAnchor(*signed_, directory_));
  args.insert(args.end(), {endpoint("mail.example.test"), "--starttls", "implicit"});
  const CommandResult result = verify(args);
  EXPECT_EQ(result.exit_code, 3) << context(result);
  EXPECT_TRUE(
      result.out.starts_with("BOGUS  mail.example.test:" + std::to_string(port_) + ": TLSA _"))
      << context(result);
}

}  // namespace
}  // namespace daneguard::testing
