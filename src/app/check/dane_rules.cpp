#include "app/check/dane_rules.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/tlsa/tlsa_match.hpp"
#include "core/tlsa/tlsa_mnemonics.hpp"

namespace daneguard::app::check {
namespace {

/// "3 1 1 (DANE-EE SPKI SHA2-256)": numbers to grep, names to read (RFC 7218).
std::string describeParameters(const TlsaParameters& parameters) {
  return fmt::format("{} ({})", tlsaParametersNumbers(parameters), tlsaParametersName(parameters));
}

bool isPkix(TlsaUsage usage) {
  return usage == TlsaUsage::PkixTa || usage == TlsaUsage::PkixEe;
}

class RuleChecker {
 public:
  RuleChecker(const PublishedRrset& rrset, const CertificateChain& served)
      : rrset_(rrset), served_(served), report_(matchTlsaRecords(served, rrset.records)) {}

  Findings run() {
    if (rrset_.records.empty()) {
      add(Severity::Error, "no TLSA record is published: DANE clients see no DANE at all",
          "run `daneguard run` to publish the service's records");
      return std::move(findings_);
    }
    pkixOnSmtp();
    fullCertificatePins();
    unusableRecords();
    combinations();
    authentication();
    size();
    ttl();
    if (findings_.empty())
      add(Severity::Ok,
          fmt::format("{} record(s); every parameter combination matches the served chain",
                      rrset_.records.size()),
          "");
    return std::move(findings_);
  }

 private:
  void add(Severity severity, std::string message, std::string fix) {
    findings_.push_back(
        Finding{severity, rrset_.service, rrset_.owner, std::move(message), std::move(fix)});
  }

  void pkixOnSmtp() {
    if (rrset_.port != 25) return;
    for (const TlsaRecord& record : rrset_.records)
      if (isPkix(record.parameters.usage))
        add(Severity::Error,
            fmt::format("usage {} on port 25: SMTP clients treat PKIX usages as unusable "
                        "(RFC 7672 §3.1.3), so this record authenticates nothing",
                        describeParameters(record.parameters)),
            "publish `3 1 1` (DANE-EE SPKI SHA2-256) or `2 1 1` for the issuer instead and "
            "remove this record");
  }

  void fullCertificatePins() {
    for (const TlsaRecord& record : rrset_.records)
      if (record.parameters.usage == TlsaUsage::DaneEe &&
          record.parameters.selector == TlsaSelector::Cert)
        add(Severity::Warning,
            fmt::format("{} pins the whole certificate: it changes at every renewal, even "
                        "when the key is kept, so every renewal needs a DNS rollover",
                        describeParameters(record.parameters)),
            "use `3 1 1` (the public key) and reuse the key across renewals");
  }

  void unusableRecords() {
    for (const TlsaRecordMatch& match : report_.records)
      if (match.status == TlsaRecordStatus::Unusable)
        add(Severity::Warning,
            fmt::format("an unusable record ({}) is ignored by DANE clients: {}",
                        tlsaParametersNumbers(match.record.parameters), match.defect),
            "remove it, or correct its parameters and data");
  }

  void combinations() {
    for (const TlsaCombinationMatch& combination : report_.combinations) {
      if (combination.matches()) continue;
      const TlsaParameters& parameters = combination.parameters;
      if (isPkix(parameters.usage) && rrset_.port == 25) continue;  // already an error above
      add(Severity::Error, mismatchMessage(combination), mismatchFix(parameters));
    }
  }

  /// A SHA2-512 group beside a SHA2-256 group of the same usage and selector that matches.
  bool hasMatchingSibling(const TlsaParameters& parameters) const {
    return std::ranges::any_of(report_.combinations, [&](const TlsaCombinationMatch& other) {
      return other.matches() && other.parameters.usage == parameters.usage &&
             other.parameters.selector == parameters.selector &&
             other.parameters.matching_type != parameters.matching_type;
    });
  }

  std::string mismatchMessage(const TlsaCombinationMatch& combination) const {
    const TlsaParameters& parameters = combination.parameters;
    const std::string what = describeParameters(parameters);
    if (parameters.matching_type == TlsaMatchingType::Sha512 && hasMatchingSibling(parameters))
      return fmt::format(
          "{}: {} record(s) beside a matching {} group match nothing served "
          "(RFC 7671 §8: every combination present must match the same data)",
          what, combination.record_count, tlsaMatchingTypeName(TlsaMatchingType::Sha256));
    if (parameters.usage == TlsaUsage::DaneTa)
      return fmt::format(
          "stale {} group: none of its {} record(s) matches an issuer in the "
          "served chain ({} certificate(s)); RFC 7671 §8 requires every "
          "combination present to match, even beside a good `3 1 1`",
          what, combination.record_count, served_.certificates.size());
    return fmt::format("{}: none of its {} record(s) matches the served chain (RFC 7671 §8)", what,
                       combination.record_count);
  }

  static std::string mismatchFix(const TlsaParameters& parameters) {
    if (parameters.usage == TlsaUsage::DaneTa)
      return "remove the stale records, or publish records for the CA's current "
             "intermediates (all of them, active and backup) if the chain is meant to change";
    if (parameters.matching_type == TlsaMatchingType::Sha512)
      return "publish the SHA2-512 digest of the same data as the SHA2-256 record, or remove "
             "the SHA2-512 record";
    return "remove the records that match nothing, or deploy the certificate they were "
           "published for";
  }

  void authentication() {
    if (report_.authenticates) return;
    add(Severity::Error,
        fmt::format("no usable record matches the served chain (leaf {}): DANE clients "
                    "cannot authenticate the server and mail to it will be deferred",
                    served_.certificates.empty() ? std::string("?") : served_.leaf().subject),
        "publish `3 1 1` for the served certificate's key next to the existing records "
        "(`daneguard run` does this safely)");
  }

  void size() {
    if (rrset_.records.size() <= kLargeRrset) return;
    add(Severity::Warning,
        fmt::format("{} records at one name: some large receivers fail above about {}",
                    rrset_.records.size(), kLargeRrset),
        "keep only the records of the deployed certificate, a staged next key and the CA's "
        "issuers");
  }

  void ttl() {
    if (rrset_.ttl <= kLongTlsaTtl) return;
    add(Severity::Warning,
        fmt::format("TTL {} s: every rollover waits at least 2 x TTL after publishing, and "
                    "resolvers keep stale records that long",
                    rrset_.ttl.count()),
        fmt::format("lower the TTL to {} s or less (`ttl` in the service)", kLongTlsaTtl.count()));
  }

  const PublishedRrset& rrset_;
  const CertificateChain& served_;
  TlsaMatchReport report_;
  Findings findings_;
};

}  // namespace

Findings checkTlsaRules(const PublishedRrset& rrset, const CertificateChain& served) {
  return RuleChecker(rrset, served).run();
}

}  // namespace daneguard::app::check
