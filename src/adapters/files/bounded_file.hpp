// The one way daneguard reads operator files (certificates, keys, TSIG keys, configuration):
// regular files only, bounded in size, into SecretBytes because many of them hold secrets.
//
// Refuses, each with a message starting with the path: a missing file (NotFound), an unreadable
// one (Permission), a directory, a FIFO or device (opened without blocking), an empty file, and a
// file over the limit, also one that grows past it while being read (all `content_error_kind`).
// The limit keeps a wrong path (a log file, /dev/zero) from being slurped.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>

#include "core/error.hpp"
#include "core/secret.hpp"

namespace daneguard::adapters::files {

struct BoundedFileSpec {
  std::size_t max_bytes = std::size_t{1024} * 1024;
  std::string_view what = "file";  // "a certificate or key file": used in messages
  ErrorKind content_error_kind = ErrorKind::InvalidInput;
};

Result<SecretBytes> readBoundedFile(const std::filesystem::path& path, const BoundedFileSpec& spec);

}  // namespace daneguard::adapters::files
