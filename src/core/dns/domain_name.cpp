#include "core/dns/domain_name.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace daneguard {
namespace {

constexpr std::size_t kMaxLabelOctets = 63;
constexpr std::size_t kMaxNameOctets = 255;

bool isLetterOrDigit(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

char toLowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out.push_back(c);
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  return out;
}

/// Validates one label at `index` (0 = left-most) of `name`; returns it in lower case.
Result<std::string> checkLabel(std::string_view label, std::size_t index, std::string_view name) {
  const auto where = [&] { return fmt::format("in DNS name '{}'", printable(name)); };
  if (label.empty()) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("{}: empty label (two dots in a row, or a leading dot)", where()));
  }
  if (label.size() > kMaxLabelOctets) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("{}: label '{}' is {} octets long, the limit is {}", where(),
                            printable(label), label.size(), kMaxLabelOctets));
  }
  if (label == "*") {
    if (index != 0) {
      return fail(ErrorKind::InvalidInput,
                  fmt::format("{}: '*' is only allowed as the whole left-most label", where()));
    }
    return std::string(label);
  }
  const bool non_ascii = std::any_of(label.begin(), label.end(),
                                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  if (non_ascii) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("{}: label '{}' contains non-ASCII characters; write internationalised "
                            "names in their A-label (xn--) form, e.g. as converted by `idn2`",
                            where(), printable(label)));
  }
  for (const char c : label) {
    if (!isLetterOrDigit(c) && c != '-' && c != '_') {
      return fail(ErrorKind::InvalidInput,
                  fmt::format("{}: label '{}' contains '{}'; only letters, digits, '-' and '_' "
                              "are allowed",
                              where(), printable(label), printable(std::string_view(&c, 1))));
    }
  }
  if (label.front() == '-' || label.back() == '-') {
    return fail(ErrorKind::InvalidInput,
                fmt::format("{}: label '{}' starts or ends with '-'", where(), printable(label)));
  }
  std::string lower(label);
  std::transform(lower.begin(), lower.end(), lower.begin(), toLowerAscii);
  return lower;
}

std::size_t wireLengthOf(const std::vector<std::string>& labels) {
  std::size_t total = 1;  // the root's zero length octet
  for (const auto& label : labels)
    total += 1 + label.size();
  return total;
}

}  // namespace

Result<DomainName> DomainName::parse(std::string_view text) {
  if (text.empty()) return fail(ErrorKind::InvalidInput, "empty DNS name");
  if (text == ".") return DomainName();
  std::string_view rest = text;
  if (rest.back() == '.') rest.remove_suffix(1);
  std::vector<std::string> labels;
  std::size_t index = 0;
  while (true) {
    const std::size_t dot = rest.find('.');
    const std::string_view label = rest.substr(0, dot);
    auto checked = checkLabel(label, index, text);
    if (!checked) return fail(std::move(checked).error());
    labels.push_back(std::move(*checked));
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
    ++index;
  }
  const std::size_t wire = wireLengthOf(labels);
  if (wire > kMaxNameOctets) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("DNS name '{}...' is {} octets in wire form, the limit is {}",
                            printable(text.substr(0, 40)), wire, kMaxNameOctets));
  }
  return DomainName(std::move(labels));
}

std::string DomainName::toString() const {
  if (labels_.empty()) return ".";
  std::string out;
  for (const auto& label : labels_) {
    out += label;
    out += '.';
  }
  return out;
}

std::size_t DomainName::wireLength() const {
  return wireLengthOf(labels_);
}

bool DomainName::isSubdomainOf(const DomainName& ancestor) const {
  if (ancestor.labels_.size() > labels_.size()) return false;
  return std::equal(ancestor.labels_.rbegin(), ancestor.labels_.rend(), labels_.rbegin());
}

std::optional<DomainName> DomainName::parent() const {
  if (labels_.empty()) return std::nullopt;
  return DomainName(std::vector<std::string>(labels_.begin() + 1, labels_.end()));
}

Result<DomainName> DomainName::prepend(std::string_view label) const {
  if (label.find('.') != std::string_view::npos || label.empty()) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("'{}' is not a single DNS label", printable(label)));
  }
  return parse(isRoot() ? std::string(label) : fmt::format("{}.{}", label, toString()));
}

}  // namespace daneguard
