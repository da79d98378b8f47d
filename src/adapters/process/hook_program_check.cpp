#include "adapters/process/hook_program_check.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "adapters/files/system_error.hpp"

namespace daneguard::adapters::process {
namespace {

bool ownerIsTrusted(const struct stat& status) {
  return status.st_uid == 0 || status.st_uid == ::geteuid();
}

bool writableByOthers(const struct stat& status) {
  const bool shared_writable = (status.st_mode & (S_IWGRP | S_IWOTH)) != 0;
  const bool root_sticky_directory =
      S_ISDIR(status.st_mode) && (status.st_mode & S_ISVTX) != 0 && status.st_uid == 0;
  return shared_writable && !root_sticky_directory;
}

Result<void> checkNotReplaceable(std::string_view label, const std::filesystem::path& path,
                                 const std::filesystem::path& program) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    return fail(files::systemError(path, "inspect", errno).withContext(label));
  }
  if (!ownerIsTrusted(status)) {
    return fail(ErrorKind::Permission,
                fmt::format("{}: refusing to run {}: {} is owned by uid {}, not by root or the "
                            "user daneguard runs as",
                            label, program.string(), path.string(), status.st_uid));
  }
  if (writableByOthers(status)) {
    return fail(
        ErrorKind::Permission,
        fmt::format("{}: refusing to run {}: {} is writable by group or others (mode "
                    "{:04o}); fix with chmod go-w {}",
                    label, program.string(), path.string(), status.st_mode & 07777, path.string()));
  }
  return {};
}

Result<void> checkFileAndAncestors(std::string_view label, const std::filesystem::path& path,
                                   const std::filesystem::path& program) {
  for (std::filesystem::path current = path;; current = current.parent_path()) {
    if (auto trusted = checkNotReplaceable(label, current, program); !trusted) return trusted;
    if (current == current.root_path() || !current.has_relative_path()) return {};
  }
}

Result<void> checkRunnableFile(std::string_view label, const std::filesystem::path& program) {
  struct stat status {};
  if (::stat(program.c_str(), &status) != 0) {
    const int error_number = errno;
    if (error_number == ENOENT) {
      return fail(ErrorKind::NotFound,
                  fmt::format("{}: program {} does not exist", label, program.string()));
    }
    return fail(files::systemError(program, "inspect", error_number).withContext(label));
  }
  if (!S_ISREG(status.st_mode)) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("{}: {} is not a regular file", label, program.string()));
  }
  if ((status.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0 ||
      ::access(program.c_str(), X_OK) != 0) {
    return fail(ErrorKind::Permission,
                fmt::format("{}: {} is not executable (mode {:04o}); fix with chmod +x", label,
                            program.string(), status.st_mode & 07777));
  }
  return {};
}

}  // namespace

Result<void> checkHookProgram(std::string_view label, const std::filesystem::path& program) {
  if (!program.is_absolute()) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("{}: program {} must be an absolute path (hooks are not looked up "
                            "in PATH)",
                            label, program.string()));
  }
  if (auto runnable = checkRunnableFile(label, program); !runnable) return runnable;
  const std::filesystem::path lexical = program.lexically_normal();
  if (auto trusted = checkFileAndAncestors(label, lexical, program); !trusted) return trusted;
  std::error_code error;
  const std::filesystem::path resolved = std::filesystem::canonical(program, error);
  if (error) {
    return fail(files::systemError(program, "resolve", error.value()).withContext(label));
  }
  if (resolved == lexical) return {};
  return checkFileAndAncestors(label, resolved, program);
}

}  // namespace daneguard::adapters::process
