#include "adapters/deploy/certificate_files.hpp"

#include <fmt/format.h>
#include <openssl/pem.h>

#include <set>

#include "adapters/openssl/handles.hpp"
#include "adapters/openssl/openssl_error.hpp"

namespace daneguard::adapters::deploy {

Result<std::string> certificatePem(const CertificateFacts& certificate) {
  const unsigned char* cursor = certificate.der.data();
  const openssl::X509Ptr parsed(
      d2i_X509(nullptr, &cursor, static_cast<long>(certificate.der.size())));
  const openssl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!parsed || !bio || PEM_write_bio_X509(bio.get(), parsed.get()) != 1) {
    return fail(openssl::opensslError(
        ErrorKind::Internal, fmt::format("PEM-encoding the certificate {}", certificate.subject)));
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

namespace {

void addFileSet(std::vector<CertificateFile>& files, std::string_view suffix,
                const std::string& leaf, const std::string& chain, const SecretBytes& key) {
  const std::string tail = suffix.empty() ? std::string(".pem") : fmt::format("-{}.pem", suffix);
  const std::string fullchain = leaf + chain;
  std::string combo(key.revealText());
  combo += fullchain;
  files.push_back({"cert" + tail, false, SecretBytes::copyOf(leaf)});
  files.push_back({"chain" + tail, false, SecretBytes::copyOf(chain)});
  files.push_back({"fullchain" + tail, false, SecretBytes::copyOf(fullchain)});
  files.push_back({"privkey" + tail, true, SecretBytes::copyOf(key.revealText())});
  files.push_back({"combo" + tail, true, SecretBytes::copyOf(combo)});
  // `combo` held the key in a plain string: wipe it before the memory is returned.
  OPENSSL_cleanse(combo.data(), combo.size());
}

}  // namespace

Result<std::vector<CertificateFile>> renderCertificateFiles(
    std::span<const LoadedCertificate> certificates, std::string_view service) {
  if (certificates.empty()) {
    return fail(ErrorKind::Internal,
                fmt::format("service '{}': no certificate to install", service));
  }
  std::vector<CertificateFile> files;
  std::set<std::string_view> suffixes;
  for (const LoadedCertificate& certificate : certificates) {
    const std::string_view suffix = keyFamilyName(certificate.key.algorithm);
    if (!certificate.private_key_pem) {
      return fail(ErrorKind::InvalidInput,
                  fmt::format("service '{}': no private key was loaded with the {} certificate "
                              "{}, but installing needs one",
                              service, suffix, certificate.chain.leaf().subject));
    }
    if (!suffixes.insert(suffix).second) {
      return fail(ErrorKind::Config,
                  fmt::format("service '{}': two certificates with {} keys; install mode names "
                              "files by key type and takes at most one of each",
                              service, suffix));
    }
    std::string leaf;
    std::string chain;
    for (const CertificateFacts& facts : certificate.chain.certificates) {
      auto pem = certificatePem(facts);
      if (!pem) return fail(pem.error());
      (&facts == &certificate.chain.certificates.front() ? leaf : chain) += *pem;
    }
    if (&certificate == &certificates.front())
      addFileSet(files, {}, leaf, chain, *certificate.private_key_pem);
    addFileSet(files, suffix, leaf, chain, *certificate.private_key_pem);
  }
  return files;
}

}  // namespace daneguard::adapters::deploy
