// Message digests used by TLSA matching types 1 (SHA2-256) and 2 (SHA2-512).
// Pure functions over bytes; OpenSSL's EVP is used because it is the audited implementation
// the rest of the program already links.
#pragma once

#include "core/bytes.hpp"

namespace daneguard {

Bytes sha256(ByteView data);
Bytes sha512(ByteView data);

}  // namespace daneguard
