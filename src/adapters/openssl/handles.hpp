// RAII owners for OpenSSL handles. Only adapters/ include OpenSSL headers; core sees DER bytes.
// A stateless deleter keeps each unique_ptr one pointer wide.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace daneguard::adapters::openssl {

template <auto FreeFunction>
struct CFree {
  template <class T>
  void operator()(T* handle) const noexcept {
    FreeFunction(handle);
  }
};

struct X509StackFree {
  void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_pop_free(stack, X509_free); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* names) const noexcept { GENERAL_NAMES_free(names); }
};
struct OpensslStringFree {
  void operator()(char* text) const noexcept { OPENSSL_free(text); }
};

using X509Ptr = std::unique_ptr<X509, CFree<&X509_free>>;
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;
using X509StorePtr = std::unique_ptr<X509_STORE, CFree<&X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, CFree<&X509_STORE_CTX_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, CFree<&EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, CFree<&EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, CFree<&EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, CFree<&BIO_free_all>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, CFree<&SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, CFree<&SSL_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, GeneralNamesFree>;
using OpensslStringPtr = std::unique_ptr<char, OpensslStringFree>;
using BignumPtr = std::unique_ptr<BIGNUM, CFree<&BN_free>>;

}  // namespace daneguard::adapters::openssl
