// Error collection for the config parser and a reader over one TOML table that knows the key
// path, checks types, and afterwards reports every key nobody asked for as unknown (with a
// "did you mean" from the keys that were asked for). Keeping the schema code to "ask for the
// keys you understand" is what makes unknown-key detection complete without a second list.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace daneguard::adapters::config_toml {

struct Position {
  std::uint32_t line = 0;  // 0: no position (a problem with the file as a whole)
  std::uint32_t column = 0;
};
Position positionOf(const toml::source_region& region);

/// Collects problems; toError() sorts them into file order and caps them.
class Diagnostics {
 public:
  static constexpr std::size_t kMaxReported = 20;

  explicit Diagnostics(std::string source_name) : source_name_(std::move(source_name)) {}
  void add(Position position, std::string message);
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[nodiscard]] Error toError() const;

 private:
  struct Entry {
    Position position;
    std::string message;
  };
  std::string source_name_;
  std::vector<Entry> entries_;
};

/// "a string", "an integer", ... for "expected X, got Y" messages.
std::string_view describeNodeType(const toml::node& node);

/// Reads typed values out of one table. Every accessor marks its key as known.
class TableReader {
 public:
  /// `path` is how keys of this table are named ("services[0]"); empty at the top level.
  TableReader(const toml::table& table, std::string path, Diagnostics& diagnostics);

  /// Used in "missing required key" messages, e.g. `services[0] ("mail")`.
  void setLabel(std::string label) { label_ = std::move(label); }

  /// The node for `key` or nullptr; marks `key` as known. `required` reports its absence.
  const toml::node* find(std::string_view key, bool required = false);

  std::optional<std::string> string(std::string_view key, bool required = false);
  std::optional<std::int64_t> integer(std::string_view key, bool required = false);
  std::optional<bool> boolean(std::string_view key, bool required = false);
  const toml::array* array(std::string_view key, bool required = false);
  const toml::table* table(std::string_view key, bool required = false);

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string pathOf(std::string_view key) const;
  /// Where `key`'s value is, or where the table starts if `key` is absent.
  [[nodiscard]] Position positionOf(std::string_view key) const;
  [[nodiscard]] Position tablePosition() const;
  /// Reports "<path.key>: <message>" at the value of `key`.
  void error(std::string_view key, std::string_view message);

  /// Reports every key of the table that no accessor asked for. Call once, after all reads.
  void rejectUnknownKeys();
  /// For a table too broken to judge (unknown `type`): stay silent about its other keys.
  void acceptAllKeys() { accept_all_ = true; }

 private:
  const toml::table& table_;
  std::string path_;
  std::string label_;
  Diagnostics& diagnostics_;
  std::vector<std::string> known_keys_;
  bool accept_all_ = false;
};

/// Type-checked access to a node (array elements, values already found). Report mismatches
/// as "<path>: expected <what>, got <type>" and return nullopt.
std::optional<std::string> expectString(const toml::node& node, const std::string& path,
                                        Diagnostics& diagnostics);
std::optional<std::int64_t> expectInteger(const toml::node& node, const std::string& path,
                                          Diagnostics& diagnostics, std::string_view what = {});
const toml::table* expectTable(const toml::node& node, const std::string& path,
                               Diagnostics& diagnostics);

}  // namespace daneguard::adapters::config_toml
