#include "adapters/config_toml/config_toml.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <exception>

#include "adapters/config_toml/config_schema.hpp"
#include "adapters/config_toml/diagnostics.hpp"
#include "adapters/config_toml/value_syntax.hpp"
#include "adapters/files/bounded_file.hpp"

namespace daneguard::adapters::config_toml {
namespace {

// A configuration larger than this is a mistake (a log or a binary named by accident).
constexpr std::size_t kMaxConfigBytes = std::size_t{1024} * 1024;

}  // namespace

Result<config::Config> parseConfigText(std::string_view text, std::string_view source_name) {
  try {
    toml::table root;
    try {
      root = toml::parse(text, source_name);
    } catch (const toml::parse_error& error) {
      const Position at = positionOf(error.source());
      return fail(ErrorKind::Config,
                  fmt::format("{}:{}:{}: TOML syntax error: {}", source_name, at.line, at.column,
                              printable(error.description(), 300)));
    }
    Diagnostics diagnostics{std::string(source_name)};
    config::Config config = decodeConfig(root, diagnostics);
    if (!diagnostics.empty()) return fail(diagnostics.toError());
    return config;
  } catch (const std::exception& error) {
    // toml++ or the standard library on resource exhaustion; never let it escape.
    return fail(ErrorKind::Internal, fmt::format("{}: reading the configuration failed: {}",
                                                 source_name, printable(error.what(), 200)));
  }
}

Result<config::Config> loadConfigFile(const std::filesystem::path& path) {
  auto text = files::readBoundedFile(path, {.max_bytes = kMaxConfigBytes,
                                            .what = "a configuration file",
                                            .content_error_kind = ErrorKind::Config});
  if (!text) return fail(std::move(text.error()));
  return parseConfigText(text->revealText(), path.string());
}

}  // namespace daneguard::adapters::config_toml
