// Matching an RRset against a served chain. Record data comes from the openssl CLI, not from
// computeTlsaRecords, so a bug there cannot hide a bug here.
#include "core/tlsa/tlsa_match.hpp"

#include <gtest/gtest.h>

#include "support/test_pki.hpp"
#include "unit/core/openssl_cli_chain.hpp"

namespace daneguard {
namespace {

constexpr TlsaParameters k311{TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha256};
constexpr TlsaParameters k312{TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha512};
constexpr TlsaParameters k211{TlsaUsage::DaneTa, TlsaSelector::Spki, TlsaMatchingType::Sha256};

class TlsaMatch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto dir = testing::testPkiDir("ecdsa-p256");
    leaf_ = dir / "leaf.pem";
    intermediate_ = dir / "intermediate.pem";
    root_ = dir / "root.pem";
    served_ = new CertificateChain(testing::chainViaOpenssl({leaf_, intermediate_}));
  }
  static void TearDownTestSuite() {
    delete served_;
    served_ = nullptr;
  }

  static TlsaRecord spkiRecord(TlsaParameters parameters, const std::filesystem::path& pem) {
    const Bytes spki = testing::spkiDerViaOpenssl(pem);
    const std::string algorithm =
        parameters.matching_type == TlsaMatchingType::Sha512 ? "sha512" : "sha256";
    return TlsaRecord{parameters, testing::digestViaOpenssl(spki, algorithm)};
  }

  static const CertificateChain& served() { return *served_; }

  static inline std::filesystem::path leaf_, intermediate_, root_;
  static inline CertificateChain* served_ = nullptr;
};

TEST_F(TlsaMatch, GoodDaneEeSpkiSha256MatchesLeafAtDepthZero) {
  const std::vector<TlsaRecord> rrset{spkiRecord(k311, leaf_)};
  const auto report = matchTlsaRecords(served(), rrset);
  ASSERT_EQ(report.records.size(), 1U);
  EXPECT_EQ(report.records[0].status, TlsaRecordStatus::Matches);
  EXPECT_EQ(report.records[0].depth, 0U);
  EXPECT_TRUE(report.authenticates);
  EXPECT_FALSE(report.needs_pkix_validation);
  EXPECT_TRUE(report.all_combinations_match);
  ASSERT_EQ(report.combinations.size(), 1U);
  EXPECT_EQ(report.combinations[0].parameters, k311);
  EXPECT_EQ(report.combinations[0].matching_count, 1U);
}

TEST_F(TlsaMatch, WrongDigestDoesNotMatch) {
  TlsaRecord wrong = spkiRecord(k311, leaf_);
  wrong.data[7] ^= 0x01;
  const std::vector<TlsaRecord> rrset{wrong};
  const auto report = matchTlsaRecords(served(), rrset);
  EXPECT_EQ(report.records[0].status, TlsaRecordStatus::NoMatch);
  EXPECT_FALSE(report.records[0].depth.has_value());
  EXPECT_FALSE(report.authenticates);
  EXPECT_FALSE(report.all_combinations_match);
}

TEST_F(TlsaMatch, StaleDaneTaGroupBesideGoodDaneEeIsFlagged) {
  // The root's key is not in the served chain: a "2 1 1" for it is stale (dane-rules.md).
  const std::vector<TlsaRecord> rrset{spkiRecord(k311, leaf_), spkiRecord(k211, root_)};
  const auto report = matchTlsaRecords(served(), rrset);
  EXPECT_TRUE(report.authenticates);
  EXPECT_FALSE(report.all_combinations_match);
  EXPECT_EQ(report.records[1].status, TlsaRecordStatus::NoMatch);
  ASSERT_EQ(report.combinations.size(), 2U);
  // Sorted by parameters: 2 1 1 before 3 1 1.
  EXPECT_EQ(report.combinations[0].parameters, k211);
  EXPECT_FALSE(report.combinations[0].matches());
  EXPECT_TRUE(report.combinations[1].matches());
}

TEST_F(TlsaMatch, UnmatchedSha512BesideMatchingSha256IsFlagged) {
  TlsaRecord stale512 = spkiRecord(k312, leaf_);
  stale512.data[0] ^= 0xff;
  const std::vector<TlsaRecord> rrset{spkiRecord(k311, leaf_), stale512};
  const auto report = matchTlsaRecords(served(), rrset);
  EXPECT_TRUE(report.authenticates);
  EXPECT_FALSE(report.all_combinations_match);
  // The matching SHA2-512 record makes the RRset consistent again.
  const std::vector<TlsaRecord> fixed{spkiRecord(k311, leaf_), stale512, spkiRecord(k312, leaf_)};
  const auto fixed_report = matchTlsaRecords(served(), fixed);
  EXPECT_TRUE(fixed_report.all_combinations_match);
  EXPECT_EQ(fixed_report.records[1].status, TlsaRecordStatus::NoMatch);
  EXPECT_EQ(fixed_report.records[2].depth, 0U);
}

TEST_F(TlsaMatch, DaneTaMatchesTheIntermediateAtDepthOne) {
  const std::vector<TlsaRecord> rrset{spkiRecord(k211, intermediate_)};
  const auto report = matchTlsaRecords(served(), rrset);
  EXPECT_EQ(report.records[0].status, TlsaRecordStatus::Matches);
  EXPECT_EQ(report.records[0].depth, 1U);
  EXPECT_TRUE(report.authenticates);
  EXPECT_TRUE(report.all_combinations_match);

  // With the root also served, a record for it matches at depth 2.
  const CertificateChain with_root = testing::chainViaOpenssl({leaf_, intermediate_, root_});
  const std::vector<TlsaRecord> root_rrset{spkiRecord(k211, root_)};
  EXPECT_EQ(matchTlsaRecords(with_root, root_rrset).records[0].depth, 2U);
}

TEST_F(TlsaMatch, DaneTaFullCertificateMatchesTheIntermediate) {
  const std::vector<TlsaRecord> rrset{
      TlsaRecord{{TlsaUsage::DaneTa, TlsaSelector::Cert, TlsaMatchingType::Full},
                 testing::certificateDerViaOpenssl(intermediate_)}};
  EXPECT_EQ(matchTlsaRecords(served(), rrset).records[0].depth, 1U);
}

TEST_F(TlsaMatch, UsagesOnlyLookAtTheirOwnDepths) {
  // An EE record for the intermediate's key and a TA record for the leaf's key match nothing.
  const std::vector<TlsaRecord> rrset{spkiRecord(k311, intermediate_), spkiRecord(k211, leaf_)};
  const auto report = matchTlsaRecords(served(), rrset);
  EXPECT_EQ(report.records[0].status, TlsaRecordStatus::NoMatch);
  EXPECT_EQ(report.records[1].status, TlsaRecordStatus::NoMatch);
  EXPECT_FALSE(report.authenticates);
}

TEST_F(TlsaMatch, UnknownUsageIsUnusableAndIgnored) {
  TlsaRecord usage7 = spkiRecord(k311, leaf_);
  usage7.parameters.usage = static_cast<TlsaUsage>(7);
  const std::vector<TlsaRecord> rrset{usage7, spkiRecord(k311, leaf_)};
  const auto report = matchTlsaRecords(served(), rrset);
  EXPECT_EQ(report.records[0].status, TlsaRecordStatus::Unusable);
  EXPECT_NE(report.records[0].defect.find("usage 7"), std::string::npos);
  EXPECT_FALSE(report.records[0].depth.has_value());
  EXPECT_EQ(report.unusableCount(), 1U);
  ASSERT_EQ(report.combinations.size(), 1U);  // 7 1 1 is not a combination clients consider
  EXPECT_TRUE(report.authenticates);
  EXPECT_TRUE(report.all_combinations_match);

  // Alone, even data that would match does not authenticate.
  const std::vector<TlsaRecord> only_unusable{usage7};
  const auto alone = matchTlsaRecords(served(), only_unusable);
  EXPECT_FALSE(alone.authenticates);
  EXPECT_FALSE(alone.all_combinations_match);
  EXPECT_TRUE(alone.combinations.empty());
}

TEST_F(TlsaMatch, MalformedDigestLengthIsUnusable) {
  TlsaRecord truncated = spkiRecord(k311, leaf_);
  truncated.data.resize(20);
  const std::vector<TlsaRecord> rrset{truncated};
  const auto report = matchTlsaRecords(served(), rrset);
  EXPECT_EQ(report.records[0].status, TlsaRecordStatus::Unusable);
  EXPECT_NE(report.records[0].defect.find("got 20"), std::string::npos);
}

TEST_F(TlsaMatch, PkixOnlyMatchesNeedPkixValidation) {
  const std::vector<TlsaRecord> rrset{
      spkiRecord({TlsaUsage::PkixEe, TlsaSelector::Spki, TlsaMatchingType::Sha256}, leaf_),
      spkiRecord({TlsaUsage::PkixTa, TlsaSelector::Spki, TlsaMatchingType::Sha256}, intermediate_)};
  const auto report = matchTlsaRecords(served(), rrset);
  EXPECT_EQ(report.records[0].depth, 0U);
  EXPECT_EQ(report.records[1].depth, 1U);
  EXPECT_TRUE(report.authenticates);
  EXPECT_TRUE(report.needs_pkix_validation);
  EXPECT_TRUE(report.all_combinations_match);
}

TEST_F(TlsaMatch, EmptyRrsetNeitherAuthenticatesNorPasses) {
  const auto report = matchTlsaRecords(served(), {});
  EXPECT_FALSE(report.authenticates);
  EXPECT_FALSE(report.all_combinations_match);
  EXPECT_TRUE(report.records.empty());
}

}  // namespace
}  // namespace daneguard
