// The one way certificate and key files are read: bounded, regular files only, and into
// SecretBytes because a PEM file may hold a private key.
//
// Refuses (each with a message starting with the path): a missing file (NotFound), an
// unreadable one (Permission), a directory or other non-regular file, an empty file and a file
// over kMaxPemFileBytes (InvalidInput). No certificate bundle comes near that size; the limit
// keeps a wrong path (a log file, /dev/zero) from being slurped.
#pragma once

#include <cstddef>
#include <filesystem>

#include "core/error.hpp"
#include "core/secret.hpp"

namespace daneguard::adapters::openssl {

inline constexpr std::size_t kMaxPemFileBytes = std::size_t{1024} * 1024;

Result<SecretBytes> readPemFile(const std::filesystem::path& path);

}  // namespace daneguard::adapters::openssl
