// Collects every error message a test produced and checks that none contains a secret, in
// any of the forms a leak could take (base64 as configured, raw bytes, hex in either case).
#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"

namespace daneguard::testing {

class MessageLog {
 public:
  /// DANEGUARD_SHOW_MESSAGES=1 prints each message, to review their wording.
  void note(const Error& error) {
    note(std::string(errorKindName(error.kind)) + ": " + error.message);
  }
  void note(const std::string& message);
  [[nodiscard]] const std::vector<std::string>& messages() const { return messages_; }

  /// Returns the first message containing a form of `secret_base64`, or "" if none does.
  [[nodiscard]] std::string findLeak(const std::string& secret_base64) const;

 private:
  std::vector<std::string> messages_;
};

}  // namespace daneguard::testing
