// `daneguard demo`: a self-contained tour of what daneguard does today, needing no network,
// no DNS server and no existing certificates. It makes a throwaway CA and server certificates,
// loads them back as an operator's files would be loaded, prints the TLSA records to publish,
// and shows with the DANE matcher why a renewal with a new key needs the safe rollover order
// while a renewal that reuses the key does not.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "adapters/files/atomic_file.hpp"
#include "adapters/openssl/certificate_factory.hpp"
#include "adapters/openssl/pem_bundle.hpp"
#include "cli/command.hpp"
#include "core/tlsa/tlsa_compute.hpp"
#include "core/tlsa/tlsa_match.hpp"
#include "core/tlsa/tlsa_mnemonics.hpp"
#include "core/tlsa/tlsa_owner_name.hpp"
#include "core/tlsa/tlsa_presentation.hpp"

namespace daneguard::cli {
namespace {

namespace ossl = adapters::openssl;
using std::chrono::days;

constexpr std::string_view kHost = "mail.example.test";

struct DemoCa {
  ossl::GeneratedKey key;
  std::string certificate_pem;
};

Result<DemoCa> makeCa(std::chrono::sys_seconds now) {
  auto key = ossl::generateKey(KeyAlgorithm::EcdsaP256);
  if (!key) return fail(key.error());
  const ossl::CertificateRequest request{.common_name = "daneguard demo CA",
                                         .dns_names = {},
                                         .is_ca = true,
                                         .not_before = now - days(1),
                                         .not_after = now + days(365),
                                         .serial = 1};
  auto pem = ossl::issueCertificate(request, *key, *key);
  if (!pem) return fail(pem.error());
  return DemoCa{std::move(*key), std::move(*pem)};
}

// Writes key + leaf + CA certificate as one PEM file (the lego --pem layout), mode 0600.
Result<std::filesystem::path> issueBundle(const DemoCa& ca, const ossl::GeneratedKey& key,
                                          std::uint64_t serial, std::chrono::sys_seconds now,
                                          const std::filesystem::path& file) {
  const ossl::CertificateRequest request{.common_name = std::string(kHost),
                                         .dns_names = {std::string(kHost)},
                                         .is_ca = false,
                                         .not_before = now - days(1),
                                         .not_after = now + days(90),
                                         .serial = serial};
  auto leaf = ossl::issueCertificate(request, key, ca.key, ca.certificate_pem);
  if (!leaf) return fail(leaf.error());
  const std::string bundle =
      std::string(key.private_key_pem.revealText()) + *leaf + ca.certificate_pem;
  if (auto written = adapters::files::writeFileAtomically(file, bundle, 0600); !written) {
    return fail(written.error());
  }
  return file;
}

void printVerdict(std::string_view what, const CertificateChain& served,
                  const std::vector<TlsaRecord>& rrset) {
  const TlsaMatchReport report = matchTlsaRecords(served, rrset);
  std::string matched;
  for (const TlsaRecordMatch& match : report.records) {
    if (match.status != TlsaRecordStatus::Matches) continue;
    matched += fmt::format("{}{} at depth {}", matched.empty() ? "" : ", ",
                           tlsaParametersNumbers(match.record.parameters), *match.depth);
  }
  fmt::print("    {:<44} {}\n", what,
             report.authenticates ? fmt::format("authenticates ({})", matched)
                                  : std::string("FAILS: no record matches -> DANE outage"));
}

Result<int> runDemo() {
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  std::string pattern = (std::filesystem::temp_directory_path() / "daneguard-demo-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return fail(ErrorKind::Transient, "cannot create a temporary directory for the demo");
  }
  const std::filesystem::path dir(pattern);
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } cleanup{dir};

  fmt::print("daneguard demo: certificates, TLSA records and why the rollover order matters\n");
  auto ca = makeCa(now);
  if (!ca) return fail(ca.error());
  auto first_key = ossl::generateKey(KeyAlgorithm::EcdsaP256);
  auto second_key = ossl::generateKey(KeyAlgorithm::EcdsaP256);
  if (!first_key || !second_key) return fail((first_key ? second_key : first_key).error());

  auto current_file = issueBundle(*ca, *first_key, 100, now, dir / "current.pem");
  auto reused_file = issueBundle(*ca, *first_key, 101, now, dir / "renewed-same-key.pem");
  auto rekeyed_file = issueBundle(*ca, *second_key, 102, now, dir / "renewed-new-key.pem");
  for (const auto* file : {&current_file, &reused_file, &rekeyed_file}) {
    if (!*file) return fail(file->error());
  }
  fmt::print("[1/4] made a demo CA and three certificates for {} in {}\n", kHost, dir.string());

  auto current = ossl::loadPemBundle(*current_file);
  auto reused = ossl::loadPemBundle(*reused_file);
  auto rekeyed = ossl::loadPemBundle(*rekeyed_file);
  for (const auto* loaded : {&current, &reused, &rekeyed}) {
    if (!*loaded) return fail(loaded->error());
  }
  fmt::print("[2/4] loaded each key+certificate+chain bundle: key matches, chain links ({})\n",
             current->key.description());

  auto owner = tlsaOwnerName(25, "tcp", kHost);
  if (!owner) return fail(owner.error());
  std::vector<TlsaRecord> rrset = computeTlsaRecords(current->chain, TlsaParameters{});
  const auto ta = computeTlsaRecords(
      current->chain, {TlsaUsage::DaneTa, TlsaSelector::Spki, TlsaMatchingType::Sha256});
  rrset.insert(rrset.end(), ta.begin(), ta.end());
  fmt::print("[3/4] TLSA RRset to publish for the current certificate:\n");
  for (const TlsaRecord& record : rrset) {
    fmt::print("    {} 3600 IN TLSA {}\n", owner->toString(), formatTlsaRdata(record));
  }

  const std::vector<TlsaRecord> ee_only(rrset.begin(), rrset.begin() + 1);
  fmt::print("[4/4] what a DANE client concludes with the RRset it has cached (3 1 1 only):\n");
  printVerdict("current certificate", current->chain, ee_only);
  printVerdict("renewed, same key (reuse_key)", reused->chain, ee_only);
  printVerdict("renewed, new key, deployed at once", rekeyed->chain, ee_only);
  std::vector<TlsaRecord> both = ee_only;
  const auto next = computeTlsaRecords(rekeyed->chain, TlsaParameters{});
  both.insert(both.end(), next.begin(), next.end());
  printVerdict("new key, after publishing its 3 1 1 first", rekeyed->chain, both);
  fmt::print(
      "A new key must have its record published, seen on every authoritative server and outlive\n"
      "every cached copy of the old RRset before it is deployed: that is the rollover daneguard\n"
      "automates (docs/dane-rules-enforced.md).\n");
  return 0;
}

}  // namespace

CommandAction registerDemoCommand(CLI::App& parent) {
  parent.add_subcommand("demo",
                        "Self-contained demonstration in a temporary directory (no network)");
  return [] { return runDemo(); };
}

}  // namespace daneguard::cli
