#include "adapters/openssl/certificate_factory.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "adapters/openssl/handles.hpp"
#include "adapters/openssl/openssl_error.hpp"

namespace daneguard::adapters::openssl {
namespace {

Result<EvpPkeyPtr> makeKey(KeyAlgorithm algorithm, int rsa_bits) {
  EVP_PKEY* raw = nullptr;
  switch (algorithm) {
    case KeyAlgorithm::Rsa:
      if (rsa_bits < 2048 || rsa_bits > 8192) {
        return fail(ErrorKind::InvalidInput, "RSA key size must be 2048 to 8192 bits");
      }
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits));
      break;
    case KeyAlgorithm::EcdsaP256:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyAlgorithm::EcdsaP384:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case KeyAlgorithm::EcdsaP521:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521");
      break;
    case KeyAlgorithm::Ed25519:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case KeyAlgorithm::Ed448:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448");
      break;
    case KeyAlgorithm::Other:
      return fail(ErrorKind::InvalidInput, "cannot generate a key of unknown algorithm");
  }
  if (raw == nullptr) return fail(opensslError(ErrorKind::Internal, "key generation failed"));
  return EvpPkeyPtr(raw);
}

Result<EvpPkeyPtr> readKey(const GeneratedKey& key) {
  const std::string_view pem = key.private_key_pem.revealText();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return fail(opensslError(ErrorKind::Internal, "BIO_new_mem_buf"));
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) return fail(opensslError(ErrorKind::Internal, "reading a generated key"));
  return EvpPkeyPtr(raw);
}

Result<X509Ptr> readCertificate(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return fail(opensslError(ErrorKind::Internal, "BIO_new_mem_buf"));
  X509* raw = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) return fail(opensslError(ErrorKind::InvalidInput, "issuer certificate"));
  return X509Ptr(raw);
}

Result<std::string> bioText(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  if (length <= 0 || data == nullptr) return fail(ErrorKind::Internal, "empty PEM output");
  return std::string(data, static_cast<std::size_t>(length));
}

bool addExtension(X509* certificate, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (extension == nullptr) return false;
  const int added = X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
  return added == 1;
}

bool addExtensions(X509* certificate, X509* issuer, const CertificateRequest& request) {
  std::string alt_names;
  for (const std::string& name : request.dns_names) {
    alt_names += (alt_names.empty() ? "DNS:" : ",DNS:") + name;
  }
  const bool common =
      addExtension(certificate, issuer, NID_subject_key_identifier, "hash") &&
      addExtension(certificate, issuer, NID_authority_key_identifier, "keyid:always");
  if (request.is_ca) {
    return common && addExtension(certificate, issuer, NID_basic_constraints, "critical,CA:TRUE") &&
           addExtension(certificate, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
  }
  return common && addExtension(certificate, issuer, NID_basic_constraints, "critical,CA:FALSE") &&
         addExtension(certificate, issuer, NID_ext_key_usage, "serverAuth") &&
         (alt_names.empty() || addExtension(certificate, issuer, NID_subject_alt_name, alt_names));
}

}  // namespace

Result<GeneratedKey> generateKey(KeyAlgorithm algorithm, int rsa_bits) {
  auto key = makeKey(algorithm, rsa_bits);
  if (!key) return fail(key.error());
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key->get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return fail(opensslError(ErrorKind::Internal, "writing a generated key"));
  }
  auto pem = bioText(bio.get());
  if (!pem) return fail(pem.error());
  return GeneratedKey{algorithm, SecretBytes::copyOf(*pem)};
}

Result<std::string> issueCertificate(const CertificateRequest& request,
                                     const GeneratedKey& subject_key,
                                     const GeneratedKey& issuer_key,
                                     const std::string& issuer_certificate_pem) {
  auto subject_pkey = readKey(subject_key);
  auto issuer_pkey = readKey(issuer_key);
  if (!subject_pkey) return fail(subject_pkey.error());
  if (!issuer_pkey) return fail(issuer_pkey.error());
  X509Ptr certificate(X509_new());
  if (!certificate) return fail(opensslError(ErrorKind::Internal, "X509_new"));
  X509* cert = certificate.get();

  X509_set_version(cert, 2);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), request.serial);
  ASN1_TIME_set(X509_getm_notBefore(cert), request.not_before.time_since_epoch().count());
  ASN1_TIME_set(X509_getm_notAfter(cert), request.not_after.time_since_epoch().count());
  X509_set_pubkey(cert, subject_pkey->get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(request.common_name.c_str()),
                             -1, -1, 0);

  X509Ptr issuer_certificate;
  if (!issuer_certificate_pem.empty()) {
    auto parsed = readCertificate(issuer_certificate_pem);
    if (!parsed) return fail(parsed.error());
    issuer_certificate = std::move(*parsed);
  }
  X509* issuer = issuer_certificate ? issuer_certificate.get() : cert;
  X509_set_issuer_name(cert, X509_get_subject_name(issuer));
  if (!addExtensions(cert, issuer, request)) {
    return fail(opensslError(ErrorKind::Internal, "adding certificate extensions"));
  }
  // Ed25519/Ed448 sign without a separate digest; everything else uses SHA-256.
  const int key_type = EVP_PKEY_get_base_id(issuer_pkey->get());
  const EVP_MD* digest =
      key_type == EVP_PKEY_ED25519 || key_type == EVP_PKEY_ED448 ? nullptr : EVP_sha256();
  if (X509_sign(cert, issuer_pkey->get(), digest) <= 0) {
    return fail(opensslError(ErrorKind::Internal, "signing the certificate"));
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return fail(opensslError(ErrorKind::Internal, "writing the certificate"));
  }
  return bioText(bio.get());
}

}  // namespace daneguard::adapters::openssl
