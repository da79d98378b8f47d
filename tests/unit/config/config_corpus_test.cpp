// Data-driven config tests: every tests/data/bad/config/<case>.toml must be rejected with the
// message named on its first line ("# expect: ..."), every good file and the shipped example
// must load, and docs/configuration.md must carry the example verbatim and mention every key
// the good files use. Adding a case is adding a file.
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "adapters/config_toml/config_toml.hpp"
#include "support/test_pki.hpp"

namespace daneguard::adapters::config_toml {
namespace {

namespace fs = std::filesystem;
using testing::testDataPath;

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<fs::path> tomlFilesIn(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.path().extension() == ".toml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

fs::path sourceRoot() {
  return fs::path(DANEGUARD_SOURCE_DIR);
}

TEST(ConfigCorpus, EveryBadFileIsRejectedWithItsExpectedMessage) {
  const auto files = tomlFilesIn(testDataPath("bad/config"));
  ASSERT_GE(files.size(), 20u) << "the bad corpus lost cases";
  // Each reported line: "<file>:<line>:<column>: <message>" or "<file>: <message>".
  const std::regex line_format(R"(^.+\.toml(:[0-9]+:[0-9]+)?: .+$)");
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    const std::string text = readFile(file);
    const std::string marker = "# expect: ";
    ASSERT_EQ(text.rfind(marker, 0), 0u) << "first line must be '# expect: <substring>'";
    const std::string expected = text.substr(marker.size(), text.find('\n') - marker.size());
    ASSERT_FALSE(expected.empty());

    const auto config = loadConfigFile(file);
    ASSERT_FALSE(config.has_value()) << "was accepted";
    EXPECT_EQ(config.error().kind, ErrorKind::Config);
    EXPECT_NE(config.error().message.find(expected), std::string::npos)
        << "expected: " << expected << "\ngot:\n"
        << config.error().message;
    std::istringstream lines(config.error().message);
    for (std::string line; std::getline(lines, line);) {
      EXPECT_TRUE(std::regex_match(line, line_format)) << line;
      EXPECT_EQ(line.rfind(file.string(), 0), 0u) << "does not name the file: " << line;
    }
  }
}

TEST(ConfigCorpus, EveryGoodFileAndTheShippedExampleLoad) {
  auto files = tomlFilesIn(testDataPath("good/config"));
  ASSERT_GE(files.size(), 2u);
  files.push_back(sourceRoot() / "examples" / "daneguard.toml");
  for (const auto& file : files) {
    const auto config = loadConfigFile(file);
    EXPECT_TRUE(config.has_value()) << file << ":\n" << config.error().message;
    if (config) {
      EXPECT_FALSE(config->services.empty()) << file;
    }
  }
}

TEST(ConfigCorpus, DocumentationShowsTheExampleVerbatim) {
  const std::string docs = readFile(sourceRoot() / "docs" / "configuration.md");
  const std::string example = readFile(sourceRoot() / "examples" / "daneguard.toml");
  ASSERT_FALSE(example.empty());
  EXPECT_NE(docs.find("```toml\n" + example + "```"), std::string::npos)
      << "docs/configuration.md must contain examples/daneguard.toml unchanged in a ```toml "
         "block; copy the file into it";
}

void collectKeys(const toml::table& table, std::set<std::string>& keys) {
  for (const auto& [key, node] : table) {
    keys.insert(std::string(key.str()));
    if (const auto* child = node.as_table()) collectKeys(*child, keys);
    if (const auto* array = node.as_array())
      for (const auto& element : *array)
        if (const auto* child = element.as_table()) collectKeys(*child, keys);
  }
}

TEST(ConfigCorpus, DocumentationDescribesEveryKeyTheGoodFilesUse) {
  const std::string docs = readFile(sourceRoot() / "docs" / "configuration.md");
  std::set<std::string> keys;
  for (const auto& file : tomlFilesIn(testDataPath("good/config"))) {
    // every_key.toml is meant to use every key; publisher names are not keys of the schema.
    auto table = toml::parse_file(file.string());
    if (auto* publishers = table["publishers"].as_table()) {
      for (auto& [name, definition] : *publishers)
        if (const auto* inner = definition.as_table()) collectKeys(*inner, keys);
      table.erase("publishers");
      keys.insert("publishers");
    }
    collectKeys(table, keys);
  }
  EXPECT_GE(keys.size(), 30u);
  for (const auto& key : keys)
    EXPECT_NE(docs.find("`" + key + "`"), std::string::npos) << "docs lack `" << key << "`";
}

}  // namespace
}  // namespace daneguard::adapters::config_toml
