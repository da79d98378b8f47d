// Test helpers for hook tests: writing a #!/bin/sh hook into a TempDir and reading back what
// it recorded (NUL-separated /proc files).
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace daneguard::testing {

/// Writes "#!/bin/sh\n" + body as an executable (0700) script and returns its path.
inline std::filesystem::path writeHookScript(const TempDir& dir, const std::string& name,
                                             const std::string& body) {
  const std::filesystem::path path = dir.write(name, "#!/bin/sh\n" + body);
  ::chmod(path.c_str(), 0700);
  return path;
}

inline std::string readWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Splits /proc/<pid>/environ or /proc/<pid>/cmdline content at its NUL bytes.
inline std::vector<std::string> splitAtNul(const std::string& text) {
  std::vector<std::string> parts;
  std::string current;
  for (const char c : text) {
    if (c == '\0') {
      parts.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) parts.push_back(current);
  return parts;
}

}  // namespace daneguard::testing
