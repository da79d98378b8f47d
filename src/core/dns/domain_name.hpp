// A validated DNS name in canonical form (lower case, absolute), so that names read from
// configuration, certificates and DNS answers compare equal exactly when DNS says they are.
//
// Accepted: labels of 1..63 octets made of letters, digits, '-' (not first or last) and '_'
// (service labels such as _25 and _tcp), a whole left-most "*" label, and A-labels ("xn--...").
// The wire form may not exceed 255 octets. Non-ASCII (U-label) input is rejected with advice to
// use the xn-- form, because converting it needs IDNA tables that the pure core does not carry.
// Escapes ("\." or "\065") are not supported: no name daneguard manages needs them.
#pragma once

#include <compare>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace daneguard {

class DomainName {
 public:
  /// The root name ".".
  DomainName() = default;

  /// Parses "mail.example.com" or "mail.example.com." (both mean the absolute name) or ".".
  /// Upper case is folded to lower case. Errors name the offending label.
  static Result<DomainName> parse(std::string_view text);

  /// Left-most label first; empty for the root.
  [[nodiscard]] const std::vector<std::string>& labels() const { return labels_; }
  [[nodiscard]] bool isRoot() const { return labels_.empty(); }
  [[nodiscard]] bool isWildcard() const { return !labels_.empty() && labels_.front() == "*"; }

  /// "mail.example.com." (always with the trailing dot); "." for the root.
  [[nodiscard]] std::string toString() const;

  /// Octets of the uncompressed wire form (length bytes and the final zero included).
  [[nodiscard]] std::size_t wireLength() const;

  /// RFC 1034 §3.1 meaning: true when this name equals `ancestor` or lies below it.
  [[nodiscard]] bool isSubdomainOf(const DomainName& ancestor) const;

  /// The name with its left-most label removed; nullopt for the root.
  [[nodiscard]] std::optional<DomainName> parent() const;

  /// `label` + "." + this name, validated as parse() would (e.g. "_tcp" onto "mail.example.").
  [[nodiscard]] Result<DomainName> prepend(std::string_view label) const;

  bool operator==(const DomainName&) const = default;
  auto operator<=>(const DomainName&) const = default;

 private:
  explicit DomainName(std::vector<std::string> labels) : labels_(std::move(labels)) {}

  std::vector<std::string> labels_;
};

}  // namespace daneguard
