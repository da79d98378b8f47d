// Cross-checks computeTlsaRecords for every usage x selector x matching type (4x2x3) on each
// generated key type against three independent implementations run at test time: the openssl
// CLI, ldns-dane (ldnsutils) and hash-slinger's `tlsa`.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <tuple>

#include "core/hex.hpp"
#include "core/tlsa/tlsa_compute.hpp"
#include "core/tlsa/tlsa_mnemonics.hpp"
#include "core/tlsa/tlsa_presentation.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "unit/core/openssl_cli_chain.hpp"

namespace daneguard {
namespace {

using testing::CommandResult;
using testing::runCommand;

std::vector<TlsaParameters> allParameterCombinations() {
  std::vector<TlsaParameters> all;
  for (int usage = 0; usage <= 3; ++usage) {
    for (int selector = 0; selector <= 1; ++selector) {
      for (int matching = 0; matching <= 2; ++matching) {
        all.push_back({static_cast<TlsaUsage>(usage), static_cast<TlsaSelector>(selector),
                       static_cast<TlsaMatchingType>(matching)});
      }
    }
  }
  return all;
}

bool forLeaf(TlsaParameters p) {
  return p.usage == TlsaUsage::PkixEe || p.usage == TlsaUsage::DaneEe;
}

/// "U S M HEX" from a zone-file line "<owner> [ttl] IN TLSA U S M HEX [HEX...]", hex lowered
/// and joined, so that it compares with formatTlsaRdata.
std::string rdataFromZoneLine(const std::string& output) {
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::vector<std::string> fields;
    for (std::string word; words >> word;)
      fields.push_back(word);
    const auto tlsa = std::find(fields.begin(), fields.end(), "TLSA");
    if (tlsa == fields.end() || fields.end() - tlsa < 5) continue;
    std::string hex;
    for (auto it = tlsa + 4; it != fields.end(); ++it)
      hex += *it;
    std::transform(hex.begin(), hex.end(), hex.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return *(tlsa + 1) + " " + *(tlsa + 2) + " " + *(tlsa + 3) + " " + hex;
  }
  return "(no TLSA line in: " + output + ")";
}

class TlsaComputeOracle : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = testing::testPkiDir(GetParam());
    // leaf, intermediate, root: two issuers, so that TA usages must give two records in order.
    pems_ = {dir_ / "leaf.pem", dir_ / "intermediate.pem", dir_ / "root.pem"};
    chain_ = testing::chainViaOpenssl(pems_);
  }

  std::filesystem::path dir_;
  std::vector<std::filesystem::path> pems_;
  CertificateChain chain_;
};

TEST_P(TlsaComputeOracle, AllCombinationsMatchOpensslCli) {
  for (const TlsaParameters& parameters : allParameterCombinations()) {
    SCOPED_TRACE(tlsaParametersName(parameters));
    const auto records = computeTlsaRecords(chain_, parameters);
    const std::size_t first = forLeaf(parameters) ? 0 : 1;
    const std::size_t last = forLeaf(parameters) ? 0 : pems_.size() - 1;
    ASSERT_EQ(records.size(), last - first + 1);
    for (std::size_t i = first; i <= last; ++i) {
      const Bytes selected = parameters.selector == TlsaSelector::Cert
                                 ? testing::certificateDerViaOpenssl(pems_[i])
                                 : testing::spkiDerViaOpenssl(pems_[i]);
      Bytes expected = selected;
      if (parameters.matching_type == TlsaMatchingType::Sha256) {
        expected = testing::digestViaOpenssl(selected, "sha256");
      } else if (parameters.matching_type == TlsaMatchingType::Sha512) {
        expected = testing::digestViaOpenssl(selected, "sha512");
      }
      const TlsaRecord& record = records[i - first];
      EXPECT_EQ(record.parameters, parameters);
      EXPECT_EQ(toHex(record.data), toHex(expected)) << "certificate " << pems_[i];
    }
  }
}

TEST_P(TlsaComputeOracle, AllCombinationsMatchLdnsDane) {
  if (!testing::programExists("ldns-dane")) {
    GTEST_SKIP() << "ldns-dane not installed (Debian package ldnsutils)";
  }
  testing::TempDir tmp;
  std::string bundle;
  for (const auto& pem : pems_) {
    std::ifstream in(pem);
    bundle += std::string(std::istreambuf_iterator<char>(in), {});
  }
  const auto bundle_path = tmp.write("chain-with-root.pem", bundle);
  for (const TlsaParameters& parameters : allParameterCombinations()) {
    SCOPED_TRACE(tlsaParametersName(parameters));
    const auto records = computeTlsaRecords(chain_, parameters);
    ASSERT_FALSE(records.empty());
    for (std::size_t i = 0; i < records.size(); ++i) {
      // -n: no name check, -s: assume PKIX valid (no trust store needed), -o: which certificate,
      // counted from the end of the chain (0 = root), for TA usages. No DNS is queried.
      const std::size_t chain_index = forLeaf(parameters) ? 0 : i + 1;
      const std::string offset = std::to_string(pems_.size() - 1 - chain_index);
      const CommandResult result =
          runCommand({"ldns-dane", "-n", "-s", "-o", offset, "-c", bundle_path.string(), "create",
                      "mail.example.test", "25", std::to_string(int(parameters.usage)),
                      std::to_string(int(parameters.selector)),
                      std::to_string(int(parameters.matching_type))});
      ASSERT_EQ(result.exit_code, 0) << result.err;
      EXPECT_EQ(formatTlsaRdata(records[i]), rdataFromZoneLine(result.out))
          << "record " << i << " (" << pems_[chain_index] << ")";
    }
  }
}

TEST_P(TlsaComputeOracle, AllCombinationsMatchHashSlinger) {
  if (!testing::programExists("tlsa")) {
    GTEST_SKIP() << "tlsa not installed (Debian package hash-slinger)";
  }
  for (const TlsaParameters& parameters : allParameterCombinations()) {
    SCOPED_TRACE(tlsaParametersName(parameters));
    const auto records = computeTlsaRecords(chain_, parameters);
    ASSERT_FALSE(records.empty());
    for (std::size_t i = 0; i < records.size(); ++i) {
      // Given a bundle, `tlsa` asks interactively which certificate to use; a file holding only
      // the wanted certificate avoids that. --certificate makes it read the file instead of
      // connecting; --create does not query DNS. It still prints a PKIX complaint for usage 0.
      const auto& pem = pems_[forLeaf(parameters) ? 0 : i + 1];
      const CommandResult result =
          runCommand({"tlsa", "--create", "--certificate", pem.string(), "--port", "25", "--usage",
                      std::to_string(int(parameters.usage)), "--selector",
                      std::to_string(int(parameters.selector)), "--mtype",
                      std::to_string(int(parameters.matching_type)), "mail.example.test"});
      ASSERT_EQ(result.exit_code, 0) << result.err;
      EXPECT_EQ(formatTlsaRdata(records[i]), rdataFromZoneLine(result.out))
          << "record " << i << " (" << pem << ")";
    }
  }
}

std::string keyTypeTestName(const ::testing::TestParamInfo<std::string>& key_type) {
  std::string name = key_type.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, TlsaComputeOracle,
                         ::testing::ValuesIn(testing::testPkiKeyTypes()), keyTypeTestName);

TEST(TlsaCompute, TaUsagesOnALoneLeafGiveNoRecords) {
  CertificateChain leaf_only;
  leaf_only.certificates.push_back(CertificateFacts{});
  leaf_only.certificates.back().der = {1, 2, 3};
  EXPECT_TRUE(computeTlsaRecords(leaf_only,
                                 {TlsaUsage::DaneTa, TlsaSelector::Spki, TlsaMatchingType::Sha256})
                  .empty());
  EXPECT_EQ(
      computeTlsaRecords(leaf_only, {TlsaUsage::DaneEe, TlsaSelector::Cert, TlsaMatchingType::Full})
          .size(),
      1U);
}

TEST(TlsaCompute, UnassignedParametersGiveNoRecords) {
  CertificateChain chain;
  chain.certificates.resize(2);
  EXPECT_TRUE(computeTlsaRecords(chain, {static_cast<TlsaUsage>(3), static_cast<TlsaSelector>(2),
                                         TlsaMatchingType::Sha256})
                  .empty());
  EXPECT_TRUE(computeTlsaRecords(
                  chain, {TlsaUsage::DaneEe, TlsaSelector::Spki, static_cast<TlsaMatchingType>(9)})
                  .empty());
}

}  // namespace
}  // namespace daneguard
