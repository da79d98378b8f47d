// Fuzzes the PEM bundle loader with arbitrary text. Beyond "no crash, no sanitizer report" it
// checks the loader's promises: a failure is one InvalidInput line that starts with the source
// name; a success is a non-empty chain of at most 64 certificates, leaf first and not a CA,
// each certificate issued by the next (name linkage and verified signature), SANs lower case;
// and loading is idempotent: re-serialising the result in reverse order loads to the same
// chain and key, and the certificates-only loader agrees on the chain.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/openssl/handles.hpp"
#include "adapters/openssl/pem_bundle.hpp"

namespace {

namespace ossl = daneguard::adapters::openssl;
constexpr std::string_view kSource = "fuzz-input.pem";

void require(bool condition, const char* promise) {
  if (condition) return;
  std::fprintf(stderr, "fuzz_pem_bundle: broken promise: %s\n", promise);
  std::abort();
}

ossl::X509Ptr parse(const daneguard::Bytes& der) {
  const unsigned char* cursor = der.data();
  ossl::X509Ptr certificate(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  require(certificate != nullptr, "chain DER parses again");
  return certificate;
}

std::string toPem(const daneguard::Bytes& der) {
  const ossl::X509Ptr certificate = parse(der);
  const ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  require(bio && PEM_write_bio_X509(bio.get(), certificate.get()) == 1, "PEM encoding works");
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

std::vector<daneguard::Bytes> dersOf(const daneguard::CertificateChain& chain) {
  std::vector<daneguard::Bytes> ders;
  for (const auto& certificate : chain.certificates)
    ders.push_back(certificate.der);
  return ders;
}

void checkChain(const daneguard::CertificateChain& chain) {
  require(!chain.certificates.empty(), "chain is non-empty");
  require(chain.certificates.size() <= ossl::kMaxCertificatesPerBundle, "at most 64 certs");
  require(!chain.leaf().is_ca, "leaf is not a CA");
  for (std::size_t i = 0; i + 1 < chain.certificates.size(); ++i) {
    const ossl::X509Ptr subject = parse(chain.certificates[i].der);
    const ossl::X509Ptr issuer = parse(chain.certificates[i + 1].der);
    require(X509_check_issued(issuer.get(), subject.get()) == X509_V_OK,
            "each certificate's issuer name links to the next");
    EVP_PKEY* issuer_key = X509_get0_pubkey(issuer.get());
    require(issuer_key != nullptr && X509_verify(subject.get(), issuer_key) == 1,
            "each certificate is signed by the next");
  }
  for (const auto& certificate : chain.certificates) {
    for (const std::string& name : certificate.dns_names) {
      for (const char c : name)
        require(c < 'A' || c > 'Z', "SANs are lower case");
    }
  }
  ERR_clear_error();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto loaded = ossl::loadPemBundleFromText(text, kSource);
  if (!loaded) {
    const daneguard::Error& error = loaded.error();
    require(error.kind == daneguard::ErrorKind::InvalidInput, "content errors are InvalidInput");
    require(error.message.starts_with(std::string(kSource) + ": "), "message starts with source");
    require(error.message.find('\n') == std::string::npos, "message is one line");
    return 0;
  }
  checkChain(loaded->chain);

  const auto chain_only = ossl::loadCertificateChainFromText(text, kSource);
  require(chain_only.has_value(), "the certificates-only loader accepts what the bundle did");
  require(dersOf(*chain_only) == dersOf(loaded->chain), "both loaders agree on the chain");

  std::string reserialised;
  for (auto it = loaded->chain.certificates.rbegin(); it != loaded->chain.certificates.rend();
       ++it) {
    reserialised += toPem(it->der);
  }
  if (loaded->private_key_pem) reserialised += loaded->private_key_pem->revealText();
  const auto again = ossl::loadPemBundleFromText(reserialised, kSource);
  require(again.has_value(), "a loaded bundle reloads");
  require(dersOf(again->chain) == dersOf(loaded->chain), "ordering is idempotent");
  require(again->private_key_pem.has_value() == loaded->private_key_pem.has_value(),
          "the key survives a reload");
  if (loaded->private_key_pem) {
    require(again->private_key_pem->revealText() == loaded->private_key_pem->revealText(),
            "PKCS#8 re-encoding is stable");
  }
  return 0;
}
