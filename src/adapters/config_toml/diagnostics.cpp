#include "adapters/config_toml/diagnostics.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "adapters/config_toml/value_syntax.hpp"

namespace daneguard::adapters::config_toml {

Position positionOf(const toml::source_region& region) {
  return Position{region.begin.line, region.begin.column};
}

void Diagnostics::add(Position position, std::string message) {
  entries_.push_back(Entry{position, std::move(message)});
}

Error Diagnostics::toError() const {
  std::vector<Entry> sorted = entries_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    return std::pair(a.position.line, a.position.column) <
           std::pair(b.position.line, b.position.column);
  });
  std::string message;
  const std::size_t shown = std::min(sorted.size(), kMaxReported);
  for (std::size_t i = 0; i < shown; ++i) {
    if (!message.empty()) message += '\n';
    const Position& at = sorted[i].position;
    if (at.line == 0)
      message += fmt::format("{}: {}", source_name_, sorted[i].message);
    else
      message += fmt::format("{}:{}:{}: {}", source_name_, at.line, at.column, sorted[i].message);
  }
  if (sorted.size() > shown)
    message += fmt::format("\n{}: {} more errors not shown (fix the ones above first)",
                           source_name_, sorted.size() - shown);
  return Error{ErrorKind::Config, std::move(message)};
}

std::string_view describeNodeType(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

namespace {

void typeMismatch(const toml::node& node, const std::string& path, std::string_view expected,
                  Diagnostics& diagnostics) {
  diagnostics.add(positionOf(node.source()),
                  fmt::format("{}: expected {}, got {}", path, expected, describeNodeType(node)));
}

// Key names can be quoted TOML strings holding anything; keep messages printable.
std::string keyForMessage(std::string_view key) {
  return printable(key, 80);
}

}  // namespace

std::optional<std::string> expectString(const toml::node& node, const std::string& path,
                                        Diagnostics& diagnostics) {
  if (const auto* value = node.as_string()) return value->get();
  typeMismatch(node, path, "a string", diagnostics);
  return std::nullopt;
}

std::optional<std::int64_t> expectInteger(const toml::node& node, const std::string& path,
                                          Diagnostics& diagnostics, std::string_view what) {
  if (const auto* value = node.as_integer()) return value->get();
  typeMismatch(node, path, what.empty() ? "an integer" : what, diagnostics);
  return std::nullopt;
}

const toml::table* expectTable(const toml::node& node, const std::string& path,
                               Diagnostics& diagnostics) {
  if (const auto* value = node.as_table()) return value;
  typeMismatch(node, path, "a table", diagnostics);
  return nullptr;
}

TableReader::TableReader(const toml::table& table, std::string path, Diagnostics& diagnostics)
    : table_(table), path_(std::move(path)), label_(path_), diagnostics_(diagnostics) {}

const toml::node* TableReader::find(std::string_view key, bool required) {
  if (std::find(known_keys_.begin(), known_keys_.end(), key) == known_keys_.end())
    known_keys_.emplace_back(key);
  const toml::node* node = table_.get(key);
  if (node == nullptr && required) {
    diagnostics_.add(tablePosition(),
                     label_.empty() ? fmt::format("missing required key '{}'", key)
                                    : fmt::format("{}: missing required key '{}'", label_, key));
  }
  return node;
}

std::optional<std::string> TableReader::string(std::string_view key, bool required) {
  const toml::node* node = find(key, required);
  return node ? expectString(*node, pathOf(key), diagnostics_) : std::nullopt;
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, bool required) {
  const toml::node* node = find(key, required);
  return node ? expectInteger(*node, pathOf(key), diagnostics_) : std::nullopt;
}

std::optional<bool> TableReader::boolean(std::string_view key, bool required) {
  const toml::node* node = find(key, required);
  if (node == nullptr) return std::nullopt;
  if (const auto* value = node->as_boolean()) return value->get();
  typeMismatch(*node, pathOf(key), "a boolean (true or false)", diagnostics_);
  return std::nullopt;
}

const toml::array* TableReader::array(std::string_view key, bool required) {
  const toml::node* node = find(key, required);
  if (node == nullptr) return nullptr;
  if (const auto* value = node->as_array()) return value;
  typeMismatch(*node, pathOf(key), "an array", diagnostics_);
  return nullptr;
}

const toml::table* TableReader::table(std::string_view key, bool required) {
  const toml::node* node = find(key, required);
  return node ? expectTable(*node, pathOf(key), diagnostics_) : nullptr;
}

std::string TableReader::pathOf(std::string_view key) const {
  return path_.empty() ? keyForMessage(key) : fmt::format("{}.{}", path_, keyForMessage(key));
}

Position TableReader::positionOf(std::string_view key) const {
  const toml::node* node = table_.get(key);
  return node ? config_toml::positionOf(node->source()) : tablePosition();
}

Position TableReader::tablePosition() const {
  return config_toml::positionOf(table_.source());
}

void TableReader::error(std::string_view key, std::string_view message) {
  diagnostics_.add(positionOf(key), fmt::format("{}: {}", pathOf(key), message));
}

void TableReader::rejectUnknownKeys() {
  if (accept_all_) return;
  for (const auto& [key, node] : table_) {
    if (std::find(known_keys_.begin(), known_keys_.end(), key.str()) != known_keys_.end()) continue;
    std::string message = fmt::format("unknown key '{}'", pathOf(key.str()));
    if (const auto suggestion = closestMatch(key.str(), known_keys_))
      message += fmt::format(" (did you mean '{}'?)", *suggestion);
    diagnostics_.add(config_toml::positionOf(key.source()), std::move(message));
  }
}

}  // namespace daneguard::adapters::config_toml
