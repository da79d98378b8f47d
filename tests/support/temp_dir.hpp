// A private temporary directory removed with everything in it when the object dies.
#pragma once

#include <filesystem>
#include <string>

namespace daneguard::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  /// Writes `content` to path()/name (creating folders) and returns the full path.
  std::filesystem::path write(const std::string& name, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

}  // namespace daneguard::testing
