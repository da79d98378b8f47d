#include "unit/core/openssl_cli_chain.hpp"

#include <stdexcept>

#include "support/run_command.hpp"

namespace daneguard::testing {
namespace {

std::string runOrThrow(const std::vector<std::string>& argv, const std::string& input = {}) {
  const CommandResult result = runCommand(argv, input);
  if (result.exit_code != 0) {
    throw std::runtime_error(argv.front() + " " + argv.at(1) + " failed: " + result.err);
  }
  return result.out;
}

Bytes toBytes(const std::string& text) {
  return Bytes(text.begin(), text.end());
}

}  // namespace

Bytes certificateDerViaOpenssl(const std::filesystem::path& pem) {
  return toBytes(runOrThrow({"openssl", "x509", "-in", pem.string(), "-outform", "DER"}));
}

Bytes spkiDerViaOpenssl(const std::filesystem::path& pem) {
  const std::string public_key_pem =
      runOrThrow({"openssl", "x509", "-in", pem.string(), "-pubkey", "-noout"});
  return toBytes(runOrThrow({"openssl", "pkey", "-pubin", "-outform", "DER"}, public_key_pem));
}

Bytes digestViaOpenssl(ByteView data, const std::string& algorithm) {
  return toBytes(runOrThrow({"openssl", "dgst", "-" + algorithm, "-binary"},
                            std::string(data.begin(), data.end())));
}

CertificateChain chainViaOpenssl(const std::vector<std::filesystem::path>& pems) {
  CertificateChain chain;
  for (const auto& pem : pems) {
    CertificateFacts facts;
    facts.der = certificateDerViaOpenssl(pem);
    facts.public_key.spki_der = spkiDerViaOpenssl(pem);
    facts.subject = pem.filename().string();
    chain.certificates.push_back(std::move(facts));
  }
  return chain;
}

}  // namespace daneguard::testing
