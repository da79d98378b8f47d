// Computing the TLSA records that describe a certificate chain (RFC 6698 §2.1).
#pragma once

#include <optional>
#include <vector>

#include "core/bytes.hpp"
#include "core/certificate.hpp"
#include "core/tlsa/tlsa_record.hpp"

namespace daneguard {

/// The bytes a selector picks from a certificate: the whole DER (Cert) or the DER
/// SubjectPublicKeyInfo (SPKI). Empty for an unassigned selector.
ByteView tlsaSelectedBytes(const CertificateFacts& certificate, TlsaSelector selector);

/// The certificate association data for one certificate; nullopt for unassigned parameters.
std::optional<Bytes> tlsaAssociationData(const CertificateFacts& certificate, TlsaSelector selector,
                                         TlsaMatchingType matching_type);

/// Records for `chain` with `parameters`:
///  - PKIX-EE(1) / DANE-EE(3): one record, for the leaf;
///  - PKIX-TA(0) / DANE-TA(2): one record per issuer certificate, in chain order (the leaf's
///    issuer first). A chain without issuers gives an empty vector: the caller must report that
///    a TA record cannot be made from a lone leaf.
/// Unassigned parameter values give an empty vector.
std::vector<TlsaRecord> computeTlsaRecords(const CertificateChain& chain,
                                           TlsaParameters parameters);

}  // namespace daneguard
