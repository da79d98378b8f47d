// Replays every file of the given folders (or files) through LLVMFuzzerTestOneInput, so fuzz
// targets double as regression tests without libFuzzer. Exits non-zero if a folder is empty:
// a corpus that silently vanished must not count as a passing test.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void replayFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>()};
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path target(argv[i]);
    if (std::filesystem::is_directory(target)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(target)) {
        if (!entry.is_regular_file()) continue;
        replayFile(entry.path());
        ++replayed;
      }
    } else {
      replayFile(target);
      ++replayed;
    }
  }
  std::printf("replayed %zu inputs\n", replayed);
  return replayed > 0 ? 0 : 1;
}
