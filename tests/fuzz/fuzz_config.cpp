// Fuzz target for the configuration parser. Oracles: it never crashes or throws; an accepted
// config satisfies the invariants consumers rely on; a rejection never repeats the value of a
// secret-named key (tsig_secret, tsig_secret_file, ...) from the input.
#include <toml++/toml.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/config_toml/config_toml.hpp"

namespace {

bool containsSecretWord(std::string_view key) {
  std::string lower(key);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return lower.find("secret") != std::string::npos;
}

// String values (or arrays of them) of keys named like a secret. A table under such a key is
// not a secret itself (a publisher may be called "secret-ns"); its own keys are judged anew.
void collectSecrets(const toml::node& node, bool under_secret_key, std::vector<std::string>& out) {
  if (const auto* table = node.as_table()) {
    for (const auto& [key, child] : *table)
      collectSecrets(child, containsSecretWord(key.str()), out);
  } else if (const auto* array = node.as_array()) {
    for (const auto& child : *array)
      collectSecrets(child, under_secret_key, out);
  } else if (const auto* text = node.as_string(); text && under_secret_key) {
    out.push_back(text->get());
  }
}

// Same length and character classes, different text: letters and digits rotate by one.
std::string lookAlike(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z')
      c = c == 'z' ? 'a' : static_cast<char>(c + 1);
    else if (c >= 'A' && c <= 'Z')
      c = c == 'Z' ? 'A' : static_cast<char>(c + 1);
    else if (c >= '0' && c <= '9')
      c = c == '9' ? '0' : static_cast<char>(c + 1);
  }
  return out;
}

std::size_t occurrences(std::string_view haystack, std::string_view needle) {
  std::size_t count = 0;
  for (auto at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + 1))
    ++count;
  return count;
}

void checkInvariants(const daneguard::config::Config& config) {
  if (config.services.empty() || config.state_dir.empty() || config.state_dir[0] != '/') abort();
  for (const auto& service : config.services) {
    if (service.hosts.empty() || service.ports.empty() || service.records.empty()) abort();
    if (service.ttl == 0 || service.ttl > 2147483647u) abort();
    if (config.findPublisher(service.publisher) == nullptr) abort();
    if (config.findService(service.name) != &service) abort();  // names are unique
    for (const auto port : service.ports)
      if (port == 0) abort();
    if (service.rollover.poll_interval.count() <= 0 ||
        service.rollover.poll_interval > service.rollover.propagation_timeout)
      abort();
    const auto& hook = std::get<daneguard::config::HookDeploy>(service.deploy);
    if (hook.command.empty() || hook.command[0].empty() || hook.command[0][0] != '/') abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto result = daneguard::adapters::config_toml::parseConfigText(input, "fuzz.toml");
  if (result) {
    checkInvariants(*result);
    return 0;
  }
  std::vector<std::string> secrets;
  try {
    collectSecrets(toml::parse(input), false, secrets);
  } catch (const std::exception&) {
    return 0;  // not TOML: no secret values to look for
  }
  for (const auto& secret : secrets) {
    // Only values that appear verbatim once can be swapped out below.
    if (secret.size() < 4 || occurrences(input, secret) != 1) continue;
    const std::string& message = result.error().message;
    if (message.find(secret) == std::string::npos) continue;
    // The secret may also be plain message text ("services"). Swap it for a look-alike: if the
    // message then no longer contains it, the message was echoing the value.
    std::string swapped_input(input);
    swapped_input.replace(swapped_input.find(secret), secret.size(), lookAlike(secret));
    const auto swapped =
        daneguard::adapters::config_toml::parseConfigText(swapped_input, "fuzz.toml");
    if (!swapped.has_value() && swapped.error().message.find(secret) == std::string::npos) abort();
  }
  return 0;
}
