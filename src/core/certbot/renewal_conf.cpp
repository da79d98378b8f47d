// certbot renewal conf parser (see the header).
#include "core/certbot/renewal_conf.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <system_error>

namespace daneguard::certbot {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

std::string lowerCase(std::string_view text) {
  std::string lowered(text);
  std::ranges::transform(lowered, lowered.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lowered;
}

/// configobj values may be quoted; certbot writes them bare.
std::string_view unquote(std::string_view value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front())
    return value.substr(1, value.size() - 2);
  return value;
}

/// configobj drops an unquoted inline comment ("True  # keep the DANE record").
std::string_view withoutInlineComment(std::string_view value) {
  if (!value.empty() && (value.front() == '"' || value.front() == '\'')) return value;
  if (const auto comment = value.find(" #"); comment != std::string_view::npos)
    return trim(value.substr(0, comment));
  return value;
}

}  // namespace

Result<RenewalSettings> parseRenewalConf(std::string_view text, std::string_view source_name) {
  RenewalSettings settings;
  bool in_renewalparams = false;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = trim(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    const auto where = [&] { return fmt::format("{}:{}", source_name, line_number); };
    if (line.front() == '[') {
      if (line.back() != ']')
        return fail(ErrorKind::InvalidInput,
                    fmt::format("{}: a section header must end with ']'", where()));
      // "[renewalparams]" is depth 1; "[[webroot_map]]" a subsection whose keys are domains.
      const std::size_t depth = line.find_first_not_of('[');
      const std::string_view name = trim(line.substr(depth, line.find(']') - depth));
      in_renewalparams = depth == 1 && name == "renewalparams";
      continue;
    }
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos)
      return fail(ErrorKind::InvalidInput,
                  fmt::format("{}: expected 'key = value' or '[section]'", where()));
    if (!in_renewalparams) continue;
    const std::string key = lowerCase(trim(line.substr(0, equals)));
    const std::string_view value = unquote(withoutInlineComment(trim(line.substr(equals + 1))));
    if (key == "reuse_key") {
      const std::string word = lowerCase(value);
      if (word != "true" && word != "false")
        return fail(ErrorKind::InvalidInput,
                    fmt::format("{}: reuse_key must be True or False, not '{}'", where(), value));
      settings.reuse_key = word == "true";
    } else if (key == "key_type") {
      settings.key_type = lowerCase(value);
    } else if (key == "elliptic_curve") {
      settings.elliptic_curve = lowerCase(value);
    } else if (key == "rsa_key_size") {
      int bits = 0;
      const auto [end_of_number, status] =
          std::from_chars(value.data(), value.data() + value.size(), bits);
      if (status != std::errc() || end_of_number != value.data() + value.size() || bits <= 0)
        return fail(
            ErrorKind::InvalidInput,
            fmt::format("{}: rsa_key_size: expected a number of bits, not '{}'", where(), value));
      settings.rsa_key_size = bits;
    } else if (key == "authenticator") {
      settings.authenticator = std::string(value);
    }
  }
  return settings;
}

}  // namespace daneguard::certbot
