// How many TLSA records per second daneguard computes (and matches) for typical leaf
// certificates. The certificates come from tools/gen-test-pki.sh (openssl CLI), made once per
// run in a temporary folder; DER and SPKI are extracted with the openssl CLI as the tests do.
// Results go to docs/performance.md ("TLSA computation").
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "core/tlsa/tlsa_compute.hpp"
#include "core/tlsa/tlsa_match.hpp"

namespace {

using daneguard::Bytes;
using daneguard::CertificateChain;
using daneguard::CertificateFacts;
using daneguard::TlsaMatchingType;
using daneguard::TlsaParameters;
using daneguard::TlsaSelector;
using daneguard::TlsaUsage;

const std::filesystem::path kSourceDir =
    std::filesystem::path(__FILE__).parent_path().parent_path();

/// Runs a shell pipeline (fixed strings and our own temporary paths only) and returns stdout.
std::string capture(const std::string& command) {
  const std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("cannot run: " + command);
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe.get())) > 0;) {
    out.append(buffer, n);
  }
  return out;
}

Bytes toBytes(const std::string& text) {
  return Bytes(text.begin(), text.end());
}

/// Removes the generated PKI when the benchmark process exits.
struct GeneratedPki {
  std::filesystem::path dir;
  GeneratedPki() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tlsa-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
    capture("DANEGUARD_PKI_TYPES='rsa2048 ecdsa-p256' bash '" +
            (kSourceDir / "tools" / "gen-test-pki.sh").string() + "' '" + dir.string() + "' 2>&1");
  }
  ~GeneratedPki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  GeneratedPki(const GeneratedPki&) = delete;
  GeneratedPki& operator=(const GeneratedPki&) = delete;
};

CertificateFacts factsFor(const std::filesystem::path& pem) {
  CertificateFacts facts;
  facts.der = toBytes(capture("openssl x509 -in '" + pem.string() + "' -outform DER"));
  facts.public_key.spki_der = toBytes(capture(
      "openssl x509 -in '" + pem.string() + "' -pubkey -noout | openssl pkey -pubin -outform DER"));
  if (facts.der.empty() || facts.public_key.spki_der.empty()) {
    throw std::runtime_error("openssl could not convert " + pem.string());
  }
  return facts;
}

/// Leaf + intermediate, as a server sends them.
const CertificateChain& chainFor(const std::string& key_type) {
  static const GeneratedPki pki;
  static std::map<std::string, CertificateChain> chains;
  auto [it, inserted] = chains.try_emplace(key_type);
  if (inserted) {
    it->second.certificates = {factsFor(pki.dir / key_type / "leaf.pem"),
                               factsFor(pki.dir / key_type / "intermediate.pem")};
  }
  return it->second;
}

void BM_ComputeTlsaRecords(benchmark::State& state, const std::string& key_type,
                           TlsaParameters parameters) {
  const CertificateChain& chain = chainFor(key_type);
  std::size_t records = 0;
  for (auto _ : state) {
    auto computed = daneguard::computeTlsaRecords(chain, parameters);
    records += computed.size();
    benchmark::DoNotOptimize(computed);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
}

/// A typical RRset (current + next 3 1 1, plus a 2 1 1) against the served chain.
void BM_MatchTlsaRrset(benchmark::State& state, const std::string& key_type) {
  const CertificateChain& chain = chainFor(key_type);
  auto rrset = daneguard::computeTlsaRecords(
      chain, {TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha256});
  rrset.push_back(rrset.front());
  rrset.back().data[0] ^= 0xff;  // a staged next key that is not served
  auto ta = daneguard::computeTlsaRecords(
      chain, {TlsaUsage::DaneTa, TlsaSelector::Spki, TlsaMatchingType::Sha256});
  rrset.insert(rrset.end(), ta.begin(), ta.end());
  std::size_t records = 0;
  for (auto _ : state) {
    auto report = daneguard::matchTlsaRecords(chain, rrset);
    records += report.records.size();
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
}

constexpr TlsaParameters k311{TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha256};
constexpr TlsaParameters k301{TlsaUsage::DaneEe, TlsaSelector::Cert, TlsaMatchingType::Sha256};
constexpr TlsaParameters k312{TlsaUsage::DaneEe, TlsaSelector::Spki, TlsaMatchingType::Sha512};
constexpr TlsaParameters k211{TlsaUsage::DaneTa, TlsaSelector::Spki, TlsaMatchingType::Sha256};

}  // namespace

BENCHMARK_CAPTURE(BM_ComputeTlsaRecords, rsa2048_3_1_1, std::string("rsa2048"), k311);
BENCHMARK_CAPTURE(BM_ComputeTlsaRecords, rsa2048_3_0_1, std::string("rsa2048"), k301);
BENCHMARK_CAPTURE(BM_ComputeTlsaRecords, rsa2048_3_1_2, std::string("rsa2048"), k312);
BENCHMARK_CAPTURE(BM_ComputeTlsaRecords, rsa2048_2_1_1, std::string("rsa2048"), k211);
BENCHMARK_CAPTURE(BM_ComputeTlsaRecords, p256_3_1_1, std::string("ecdsa-p256"), k311);
BENCHMARK_CAPTURE(BM_ComputeTlsaRecords, p256_3_0_1, std::string("ecdsa-p256"), k301);
BENCHMARK_CAPTURE(BM_ComputeTlsaRecords, p256_3_1_2, std::string("ecdsa-p256"), k312);
BENCHMARK_CAPTURE(BM_ComputeTlsaRecords, p256_2_1_1, std::string("ecdsa-p256"), k211);
BENCHMARK_CAPTURE(BM_MatchTlsaRrset, rsa2048_3records, std::string("rsa2048"));
BENCHMARK_CAPTURE(BM_MatchTlsaRrset, p256_3records, std::string("ecdsa-p256"));
