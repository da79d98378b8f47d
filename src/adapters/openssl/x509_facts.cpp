#include "adapters/openssl/x509_facts.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <array>
#include <chrono>
#include <ctime>
#include <limits>
#include <string_view>

#include "adapters/openssl/openssl_error.hpp"

namespace daneguard::adapters::openssl {
namespace {

std::string nameToText(const X509_NAME* name) {
  if (name == nullptr) return "(no name)";
  const BioPtr bio(BIO_new(BIO_s_mem()));
  // RFC 2253 escaping turns control and non-ASCII bytes into \XX, so hostile names stay on one
  // line when they end up in an error message.
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "(unprintable)";
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  if (length <= 0 || data == nullptr) return "(empty name)";
  return {data, static_cast<std::size_t>(length)};
}

Result<std::chrono::sys_seconds> toSysSeconds(const ASN1_TIME* time, std::string_view which) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) {
    return fail(opensslError(ErrorKind::InvalidInput, std::string(which) + " is not a valid time"));
  }
  using namespace std::chrono;
  const year_month_day date{year{parts.tm_year + 1900},
                            month{static_cast<unsigned>(parts.tm_mon + 1)},
                            day{static_cast<unsigned>(parts.tm_mday)}};
  if (!date.ok()) return fail(ErrorKind::InvalidInput, std::string(which) + " is not a valid date");
  return sys_days{date} + hours{parts.tm_hour} + minutes{parts.tm_min} + seconds{parts.tm_sec};
}

Result<std::string> serialHex(X509* certificate) {
  const BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr));
  if (!serial) return fail(opensslError(ErrorKind::InvalidInput, "serial number is malformed"));
  const OpensslStringPtr hex(BN_bn2hex(serial.get()));
  if (!hex) return fail(opensslError(ErrorKind::Internal, "cannot print the serial number"));
  return std::string(hex.get());
}

Result<std::vector<std::string>> dnsNames(X509* certificate) {
  int critical = 0;
  const GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, &critical, nullptr)));
  std::vector<std::string> result;
  if (!names) {
    if (critical == -1) return result;  // no subjectAltName at all
    ERR_clear_error();
    return fail(ErrorKind::InvalidInput, critical == -2
                                             ? "has more than one subjectAltName extension"
                                             : "has a malformed subjectAltName extension");
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name == nullptr || name->type != GEN_DNS || name->d.dNSName == nullptr) continue;
    const auto* data = ASN1_STRING_get0_data(name->d.dNSName);
    const int length = ASN1_STRING_length(name->d.dNSName);
    if (data == nullptr || length <= 0) continue;
    std::string dns_name(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
    for (char& c : dns_name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    result.push_back(std::move(dns_name));
  }
  return result;
}

KeyAlgorithm ellipticCurve(EVP_PKEY* key) {
  std::array<char, 64> group{};
  std::size_t length = 0;
  if (EVP_PKEY_get_group_name(key, group.data(), group.size(), &length) != 1) {
    ERR_clear_error();
    return KeyAlgorithm::Other;
  }
  const std::string_view name(group.data(), length);
  if (name == "prime256v1" || name == "P-256") return KeyAlgorithm::EcdsaP256;
  if (name == "secp384r1" || name == "P-384") return KeyAlgorithm::EcdsaP384;
  if (name == "secp521r1" || name == "P-521") return KeyAlgorithm::EcdsaP521;
  return KeyAlgorithm::Other;
}

}  // namespace

std::string subjectOf(const X509* certificate) {
  return nameToText(X509_get_subject_name(certificate));
}

Result<PublicKeyFacts> publicKeyFacts(EVP_PKEY* key) {
  if (key == nullptr) return fail(ErrorKind::InvalidInput, "public key cannot be decoded");
  PublicKeyFacts facts;
  if (EVP_PKEY_is_a(key, "RSA")) {
    facts.algorithm = KeyAlgorithm::Rsa;
  } else if (EVP_PKEY_is_a(key, "EC")) {
    facts.algorithm = ellipticCurve(key);
  } else if (EVP_PKEY_is_a(key, "ED25519")) {
    facts.algorithm = KeyAlgorithm::Ed25519;
  } else if (EVP_PKEY_is_a(key, "ED448")) {
    facts.algorithm = KeyAlgorithm::Ed448;
  }
  facts.bits = EVP_PKEY_get_bits(key);

  const int length = i2d_PUBKEY(key, nullptr);
  if (length <= 0) {
    return fail(opensslError(ErrorKind::InvalidInput, "cannot encode the public key as DER"));
  }
  facts.spki_der.resize(static_cast<std::size_t>(length));
  unsigned char* out = facts.spki_der.data();
  if (i2d_PUBKEY(key, &out) != length) {
    return fail(opensslError(ErrorKind::Internal, "public key DER length changed"));
  }
  return facts;
}

Result<CertificateFacts> certificateFacts(X509* certificate) {
  CertificateFacts facts;
  const int length = i2d_X509(certificate, nullptr);
  if (length <= 0) {
    return fail(opensslError(ErrorKind::InvalidInput, "certificate cannot be encoded as DER"));
  }
  facts.der.resize(static_cast<std::size_t>(length));
  unsigned char* out = facts.der.data();
  if (i2d_X509(certificate, &out) != length) {
    return fail(opensslError(ErrorKind::Internal, "certificate DER length changed"));
  }

  auto key = publicKeyFacts(X509_get0_pubkey(certificate));
  if (!key) return fail(std::move(key.error()));
  facts.public_key = std::move(*key);
  facts.subject = subjectOf(certificate);
  facts.issuer = nameToText(X509_get_issuer_name(certificate));

  auto serial = serialHex(certificate);
  if (!serial) return fail(std::move(serial.error()));
  facts.serial_hex = std::move(*serial);

  auto names = dnsNames(certificate);
  if (!names) return fail(std::move(names.error()));
  facts.dns_names = std::move(*names);

  auto not_before = toSysSeconds(X509_get0_notBefore(certificate), "notBefore");
  if (!not_before) return fail(std::move(not_before.error()));
  auto not_after = toSysSeconds(X509_get0_notAfter(certificate), "notAfter");
  if (!not_after) return fail(std::move(not_after.error()));
  facts.not_before = *not_before;
  facts.not_after = *not_after;

  // basicConstraints CA:TRUE only. X509_check_ca() would also call every self-signed v1
  // certificate a CA, which would refuse old-style self-signed leaves.
  facts.is_ca = (X509_get_extension_flags(certificate) & EXFLAG_CA) != 0;
  return facts;
}

Result<CertificateFacts> certificateFactsFromDer(ByteView der) {
  ERR_clear_error();
  if (der.empty()) return fail(ErrorKind::InvalidInput, "certificate DER is empty");
  if (der.size() > static_cast<std::size_t>(std::numeric_limits<long>::max())) {
    return fail(ErrorKind::InvalidInput, "certificate DER is too large");
  }
  const unsigned char* cursor = der.data();
  const X509Ptr certificate(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  if (!certificate) return fail(opensslError(ErrorKind::InvalidInput, "not a DER certificate"));
  if (cursor != der.data() + der.size()) {
    return fail(ErrorKind::InvalidInput, "trailing bytes after the DER certificate");
  }
  return certificateFacts(certificate.get());
}

}  // namespace daneguard::adapters::openssl
