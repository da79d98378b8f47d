#include "core/tlsa/tlsa_compute.hpp"

#include "core/digest.hpp"
#include "core/tlsa/tlsa_mnemonics.hpp"

namespace daneguard {

ByteView tlsaSelectedBytes(const CertificateFacts& certificate, TlsaSelector selector) {
  switch (selector) {
    case TlsaSelector::Cert:
      return certificate.der;
    case TlsaSelector::Spki:
      return certificate.public_key.spki_der;
  }
  return {};
}

std::optional<Bytes> tlsaAssociationData(const CertificateFacts& certificate, TlsaSelector selector,
                                         TlsaMatchingType matching_type) {
  if (!isAssigned(selector)) return std::nullopt;
  const ByteView selected = tlsaSelectedBytes(certificate, selector);
  switch (matching_type) {
    case TlsaMatchingType::Full:
      return Bytes(selected.begin(), selected.end());
    case TlsaMatchingType::Sha256:
      return sha256(selected);
    case TlsaMatchingType::Sha512:
      return sha512(selected);
  }
  return std::nullopt;
}

std::vector<TlsaRecord> computeTlsaRecords(const CertificateChain& chain,
                                           TlsaParameters parameters) {
  std::vector<TlsaRecord> records;
  if (!isAssigned(parameters) || chain.certificates.empty()) return records;
  const bool for_leaf =
      parameters.usage == TlsaUsage::PkixEe || parameters.usage == TlsaUsage::DaneEe;
  const std::size_t first = for_leaf ? 0 : 1;
  const std::size_t end = for_leaf ? 1 : chain.certificates.size();
  for (std::size_t i = first; i < end; ++i) {
    auto data =
        tlsaAssociationData(chain.certificates[i], parameters.selector, parameters.matching_type);
    records.push_back(TlsaRecord{parameters, std::move(*data)});
  }
  return records;
}

}  // namespace daneguard
