#include "integration/tls/tls_probe_test_support.hpp"

#include <regex>

#include "core/hex.hpp"
#include "unit/core/openssl_cli_chain.hpp"

namespace daneguard::testing {

ports::ProbeTarget probeTarget(std::uint16_t port, StartTlsProtocol protocol,
                               std::vector<TlsaRecord> tlsa, const std::string& address) {
  ports::ProbeTarget target;
  target.host = kServiceName;
  target.address = address;
  target.port = port;
  target.protocol = protocol;
  target.sni = kServiceName;
  target.ehlo_name = "probe.example.test";
  target.tlsa = std::move(tlsa);
  target.timeout = std::chrono::seconds(10);
  target.xmpp_domain = "example.test";
  return target;
}

TlsaRecord cliTlsaRecord(TlsaUsage usage, TlsaSelector selector, TlsaMatchingType matching_type,
                         const std::filesystem::path& pem) {
  const Bytes input =
      selector == TlsaSelector::Spki ? spkiDerViaOpenssl(pem) : certificateDerViaOpenssl(pem);
  Bytes data = input;
  if (matching_type == TlsaMatchingType::Sha256) data = digestViaOpenssl(input, "sha256");
  if (matching_type == TlsaMatchingType::Sha512) data = digestViaOpenssl(input, "sha512");
  return TlsaRecord{{usage, selector, matching_type}, data};
}

std::string rrdata(const TlsaRecord& record) {
  return std::to_string(static_cast<int>(record.parameters.usage)) + " " +
         std::to_string(static_cast<int>(record.parameters.selector)) + " " +
         std::to_string(static_cast<int>(record.parameters.matching_type)) + " " +
         toHex(record.data);
}

std::vector<Bytes> cliDer(const std::vector<std::filesystem::path>& pems) {
  std::vector<Bytes> ders;
  for (const auto& pem : pems)
    ders.push_back(certificateDerViaOpenssl(pem));
  return ders;
}

SClientVerdict sClientDane(const std::string& address, std::uint16_t port,
                           const std::string& starttls, const std::vector<TlsaRecord>& records,
                           const std::vector<std::string>& extra) {
  const bool v6 = address.find(':') != std::string::npos;
  std::vector<std::string> argv{"openssl",
                                "s_client",
                                "-brief",
                                "-connect",
                                (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port),
                                "-servername",
                                kServiceName,
                                "-dane_tlsa_domain",
                                kServiceName,
                                "-dane_ee_no_namechecks",
                                "-verify_return_error"};
  if (!starttls.empty()) {
    argv.push_back("-starttls");
    argv.push_back(starttls);
  }
  for (const auto& record : records) {
    argv.push_back("-dane_tlsa_rrdata");
    argv.push_back(rrdata(record));
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  const CommandResult result = runCommand(argv, starttls == "smtp" ? "QUIT\n" : "");
  SClientVerdict verdict;
  verdict.transcript = result.out + result.err;
  verdict.verified = verdict.transcript.find("Verification: OK") != std::string::npos;
  static const std::regex matched(R"(matched (?:EE|TA) certificate at depth (\d+))");
  std::smatch match;
  if (std::regex_search(verdict.transcript, match, matched)) verdict.depth = std::stoi(match[1]);
  return verdict;
}

}  // namespace daneguard::testing
