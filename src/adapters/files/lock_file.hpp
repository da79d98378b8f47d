// An exclusive advisory lock (flock) on a file in the state directory, held for the lifetime
// of the object, so that two daneguard runs never work on the same state at once. The kernel
// drops the lock when the process dies, so a crash never leaves a stale lock behind; the pid
// written into the file only serves the error message of the run that finds it taken.
#pragma once

#include <filesystem>

#include "adapters/files/unique_fd.hpp"
#include "core/error.hpp"

namespace daneguard::adapters::files {

class LockFile {
 public:
  /// Takes the lock or fails at once with ErrorKind::Transient naming the holder's pid.
  static Result<LockFile> acquire(const std::filesystem::path& path);

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  LockFile(std::filesystem::path path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  std::filesystem::path path_;
  UniqueFd fd_;
};

}  // namespace daneguard::adapters::files
