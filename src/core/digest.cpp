#include "core/digest.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace daneguard {
namespace {

Bytes digest(const EVP_MD* md, ByteView data) {
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int length = 0;
  // EVP_Digest only fails on allocation failure; that is not an input error.
  if (EVP_Digest(data.data(), data.size(), out.data(), &length, md, nullptr) != 1) {
    throw std::runtime_error("EVP_Digest failed (out of memory?)");
  }
  out.resize(length);
  return out;
}

}  // namespace

Bytes sha256(ByteView data) {
  return digest(EVP_sha256(), data);
}
Bytes sha512(ByteView data) {
  return digest(EVP_sha512(), data);
}

}  // namespace daneguard
