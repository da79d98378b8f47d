#include "adapters/config_toml/config_schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <variant>

#include "adapters/config_toml/value_syntax.hpp"
#include "core/dns/tsig_algorithm.hpp"
#include "core/tlsa/tlsa_mnemonics.hpp"

namespace daneguard::adapters::config_toml {
namespace {

using std::chrono::seconds;

constexpr std::int64_t kMaxTtl = std::numeric_limits<std::int32_t>::max();  // RFC 2181 §8

// Far above any real deployment; they keep a hostile or garbled file from making daneguard
// plan millions of TLSA owner names.
constexpr std::size_t kMaxServices = 10000;  // hosters run thousands; this only bounds a typo
constexpr std::size_t kMaxHostsPerService = 100;
constexpr std::size_t kMaxPortsPerService = 16;
constexpr std::size_t kMaxRecordsPerService = 8;

/// Reports and returns true when `array` has more than `limit` elements.
bool tooLong(TableReader& reader, std::string_view key, const toml::array& array,
             std::size_t limit) {
  if (array.size() <= limit) return false;
  reader.error(key, fmt::format("has {} elements; at most {} are supported", array.size(), limit));
  return true;
}

// Values of keys whose name says "secret" are never repeated in messages: operators do put
// the secret itself where its file name belongs, and error output ends up in logs and mail.
bool isSensitiveKey(std::string_view key) {
  return key.find("secret") != std::string_view::npos;
}

std::string joinQuoted(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names)
    out += fmt::format("{}'{}'", out.empty() ? "" : ", ", name);
  return out;
}

/// Names an operator types on the command line and that appear in state: keep them plain.
bool isValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  const auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  };
  return std::all_of(name.begin(), name.end(), ok) && name.front() != '.' && name.front() != '-';
}

bool isKeyNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

/// TSIG key names are domain names; this catches a secret or a path written in their place.
bool isPlausibleKeyName(std::string_view name) {
  return !name.empty() && name.size() <= 253 &&
         std::all_of(name.begin(), name.end(), isKeyNameCharacter);
}

bool isEnvironmentVariableCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool isEnvironmentVariableName(std::string_view name) {
  return !name.empty() && !(name.front() >= '0' && name.front() <= '9') &&
         std::all_of(name.begin(), name.end(), isEnvironmentVariableCharacter);
}

bool isValidLineageName(const std::string& lineage) {
  return !lineage.empty() && lineage != "." && lineage != ".." &&
         lineage.find('/') == std::string::npos && lineage.find('\0') == std::string::npos;
}

class Decoder {
 public:
  explicit Decoder(Diagnostics& diagnostics) : diagnostics_(diagnostics) {}

  config::Config decode(const toml::table& root);

 private:
  struct ServiceSites {     // where things were written, for cross-service messages
    std::size_t index = 0;  // in the file's services array
    Position name;
    std::vector<Position> hosts;
  };

  // Durations: a TOML integer (seconds) or a string such as "5m". `allow_zero` is for
  // margins, where "no extra wait" is a legitimate choice.
  std::optional<seconds> duration(TableReader& reader, std::string_view key, bool allow_zero);
  /// A positive duration that may be omitted: `target` keeps its default then; false when the
  /// key is present but invalid (already reported).
  bool optionalDuration(TableReader& reader, std::string_view key, seconds& target);
  std::optional<std::string> absolutePath(TableReader& reader, std::string_view key, bool required);
  bool checkAbsolutePath(std::string_view value, std::string_view key,
                         const std::function<void(std::string)>& report);

  config::RolloverSettings rollover(const toml::table& table, const std::string& path,
                                    config::RolloverSettings base);
  void publishers(const toml::table& table);
  std::optional<config::Publisher> publisher(const toml::table& table, const std::string& path);
  std::optional<config::Rfc2136Publisher> rfc2136(TableReader& reader);
  std::optional<config::PublisherDnsSettings> publisherDns(TableReader& reader);
  std::optional<config::ExternalProgramPublisher> externalProgram(TableReader& reader);
  std::optional<config::ZoneFilePublisher> zoneFile(TableReader& reader);
  /// An argv array run without a shell: element 0 an absolute path, no NUL anywhere.
  std::optional<std::vector<std::string>> programArgv(TableReader& reader, std::string_view key,
                                                      std::string_view example);
  // HTTP API publishers (docs/publishers-api.md).
  std::optional<config::PowerDnsPublisher> powerDns(TableReader& reader);
  std::optional<config::CloudflarePublisher> cloudflare(TableReader& reader);
  std::optional<config::DesecPublisher> desec(TableReader& reader);
  std::optional<config::ApiPublisherCommon> apiCommon(TableReader& reader);
  std::optional<config::ApiCredentials> apiCredentials(TableReader& reader,
                                                       std::string_view file_key,
                                                       std::string_view env_key,
                                                       std::string_view inline_key);
  std::optional<std::string> apiUrl(TableReader& reader, std::optional<std::string> fallback,
                                    bool allow_http);
  /// What the tsig_* keys hold; "given" means the key is present, even with an invalid value.
  struct TsigKeys {
    bool inline_secret = false;
    std::optional<std::string> key_file;
    bool key_file_given = false;
    std::optional<std::string> key_name;
    std::optional<std::string> secret_file;
    bool secret_file_given = false;
    std::optional<std::string> secret_env;
    std::optional<config::TsigAlgorithm> algorithm;
  };
  std::optional<config::TsigCredentials> tsig(TableReader& reader);
  TsigKeys readTsigKeys(TableReader& reader);
  bool refuseInlineSecret(TableReader& reader);
  std::optional<config::TsigAlgorithm> tsigAlgorithm(TableReader& reader);
  std::optional<config::TsigCredentials> tsigKeyFile(TableReader& reader, const TsigKeys& keys);
  std::optional<config::TsigCredentials> tsigNamedKey(TableReader& reader, const TsigKeys& keys);
  std::optional<config::ServerAddress> serverAddress(const toml::node& node,
                                                     const std::string& path,
                                                     std::optional<std::uint16_t> default_port);
  std::optional<config::Service> service(const toml::table& table, std::size_t index,
                                         ServiceSites& sites);
  // Each decodes one key of a service into `service`; false when it is invalid or a required
  // key is missing (the problem has then been reported).
  bool serviceName(TableReader& reader, const std::string& path, config::Service& service,
                   ServiceSites& sites);
  bool serviceHosts(TableReader& reader, config::Service& service, ServiceSites& sites);
  bool serviceHost(const toml::node& element, const std::string& element_path,
                   config::Service& service, ServiceSites& sites);
  bool servicePorts(TableReader& reader, config::Service& service);
  bool servicePort(const toml::node& element, const std::string& element_path,
                   config::Service& service);
  bool serviceProtocol(TableReader& reader, config::Service& service);
  bool serviceRecords(TableReader& reader, config::Service& service);
  bool serviceRecord(const toml::node& element, const std::string& element_path,
                     config::Service& service);
  bool serviceTtl(TableReader& reader, config::Service& service);
  bool servicePublisher(TableReader& reader, config::Service& service);
  bool serviceCertificate(TableReader& reader, config::Service& service);
  bool serviceDeploy(TableReader& reader, config::Service& service);
  std::optional<config::CertificateSource> certificate(const toml::table& table,
                                                       const std::string& path);
  std::optional<config::CertificateSource> separateFiles(TableReader& reader,
                                                         const std::string& path);
  std::optional<config::CertificateSource> certbotLineage(TableReader& reader);
  std::optional<config::Deploy> deploy(const toml::table& table, const std::string& path);
  std::optional<config::HookDeploy> hookDeploy(TableReader& reader);
  std::optional<config::InstallDeploy> installDeploy(TableReader& reader);
  std::optional<config::SymlinkDeploy> symlinkDeploy(TableReader& reader);
  bool reloadCommands(TableReader& reader, config::ReloadCommands& reload);
  /// One program with its arguments (`key` or an element of it): argv[0] absolute, no NUL.
  bool commandLine(const toml::array& command, const std::string& command_path,
                   std::vector<std::string>& argv,
                   std::string_view example = R"(["/usr/local/bin/deploy-mail", "--reload"])");
  std::optional<std::uint32_t> fileMode(TableReader& reader, std::string_view key);
  config::ProbeSettings probe(const toml::table& table, const std::string& path);
  std::optional<std::string> kindOf(TableReader& reader, const std::vector<std::string>& kinds,
                                    std::string_view what);
  void checkAcrossServices(const std::vector<config::Service>& services,
                           const std::vector<ServiceSites>& sites);

  Diagnostics& diagnostics_;
  config::Config config_;
  std::vector<std::string> declared_publishers_;  // including ones with errors
};

bool Decoder::optionalDuration(TableReader& reader, std::string_view key, seconds& target) {
  if (const auto value = duration(reader, key, false)) {
    target = *value;
    return true;
  }
  return reader.find(key) == nullptr;
}

std::optional<seconds> Decoder::duration(TableReader& reader, std::string_view key,
                                         bool allow_zero) {
  const toml::node* node = reader.find(key);
  if (node == nullptr) return std::nullopt;
  seconds value{};
  if (const auto* integer = node->as_integer()) {
    if (integer->get() < 0) {
      reader.error(key, fmt::format("duration {} is negative", integer->get()));
      return std::nullopt;
    }
    if (integer->get() > kMaxDuration.count()) {
      reader.error(key, "duration is longer than the maximum of 365d");
      return std::nullopt;
    }
    value = seconds(integer->get());
  } else if (const auto* text = node->as_string()) {
    auto parsed = parseDuration(text->get());
    if (!parsed) {
      reader.error(key, parsed.error().message);
      return std::nullopt;
    }
    value = *parsed;
  } else {
    reader.error(key, fmt::format("expected a duration such as \"90s\", \"5m\", \"1h\", \"2d\" "
                                  "or an integer number of seconds, got {}",
                                  describeNodeType(*node)));
    return std::nullopt;
  }
  if (value.count() == 0 && !allow_zero) {
    reader.error(key, "must be longer than zero");
    return std::nullopt;
  }
  return value;
}

bool Decoder::checkAbsolutePath(std::string_view value, std::string_view key,
                                const std::function<void(std::string)>& report) {
  const std::string shown = isSensitiveKey(key)
                                ? std::string("(value not shown: the key names a secret)")
                                : fmt::format("'{}'", printable(value));
  if (value.find('\0') != std::string_view::npos) {
    report(fmt::format("path contains a NUL character {}", shown));
    return false;
  }
  if (value.empty() || value.front() != '/') {
    report(
        fmt::format("must be an absolute path (daneguard runs from cron and systemd, where "
                    "the working directory is arbitrary), got {}",
                    shown));
    return false;
  }
  for (std::size_t start = 0; start <= value.size();) {
    const std::size_t slash = std::min(value.find('/', start), value.size());
    if (value.substr(start, slash - start) == "..") {
      report(fmt::format("path must not contain '..' components, got {}", shown));
      return false;
    }
    start = slash + 1;
  }
  return true;
}

std::optional<std::string> Decoder::absolutePath(TableReader& reader, std::string_view key,
                                                 bool required) {
  auto value = reader.string(key, required);
  if (!value) return std::nullopt;
  const bool ok = checkAbsolutePath(
      *value, key, [&](const std::string& message) { reader.error(key, message); });
  return ok ? value : std::nullopt;
}

std::optional<std::string> Decoder::kindOf(TableReader& reader,
                                           const std::vector<std::string>& kinds,
                                           std::string_view what) {
  auto kind = reader.string("type", true);
  if (!kind) {
    reader.acceptAllKeys();  // without a type, no key can be judged known or unknown
    return std::nullopt;
  }
  if (std::find(kinds.begin(), kinds.end(), *kind) != kinds.end()) return kind;
  std::string message = fmt::format("unknown {} type '{}' (supported: {})", what, printable(*kind),
                                    joinQuoted(kinds));
  if (const auto suggestion = closestMatch(*kind, kinds))
    message += fmt::format("; did you mean '{}'?", *suggestion);
  reader.error("type", message);
  reader.acceptAllKeys();
  return std::nullopt;
}

config::RolloverSettings Decoder::rollover(const toml::table& table, const std::string& path,
                                           config::RolloverSettings base) {
  TableReader reader(table, path, diagnostics_);
  if (const auto factor = reader.integer("cache_factor")) {
    if (*factor < 1 || *factor > 100)
      reader.error("cache_factor", fmt::format("expected an integer 1-100, got {}", *factor));
    else
      base.cache_factor = static_cast<std::uint32_t>(*factor);
  }
  if (const auto margin = duration(reader, "margin", true)) base.margin = *margin;
  const auto poll = duration(reader, "poll_interval", false);
  if (poll) base.poll_interval = *poll;
  const auto timeout = duration(reader, "propagation_timeout", false);
  if (timeout) base.propagation_timeout = *timeout;
  if ((poll || timeout) && base.poll_interval > base.propagation_timeout)
    reader.error(poll ? "poll_interval" : "propagation_timeout",
                 fmt::format("poll_interval ({}s) is longer than propagation_timeout ({}s)",
                             base.poll_interval.count(), base.propagation_timeout.count()));
  reader.rejectUnknownKeys();
  return base;
}

std::optional<config::ServerAddress> Decoder::serverAddress(
    const toml::node& node, const std::string& path, std::optional<std::uint16_t> default_port) {
  const auto text = expectString(node, path, diagnostics_);
  if (!text) return std::nullopt;
  auto address = parseServerAddress(*text, default_port);
  if (!address) {
    diagnostics_.add(positionOf(node.source()),
                     fmt::format("{}: {}", path, address.error().message));
    return std::nullopt;
  }
  return *address;
}

void Decoder::publishers(const toml::table& table) {
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    const std::string path = fmt::format("publishers.{}", printable(name));
    declared_publishers_.push_back(name);
    if (!isValidName(name)) {
      diagnostics_.add(positionOf(key.source()),
                       fmt::format("{}: publisher names may use letters, digits, '-', '_' and "
                                   "'.' (at most 64)",
                                   path));
      continue;
    }
    const toml::table* definition = expectTable(node, path, diagnostics_);
    if (definition == nullptr) continue;
    if (auto decoded = publisher(*definition, path)) config_.publishers.emplace(name, *decoded);
  }
}

std::optional<config::Publisher> Decoder::publisher(const toml::table& table,
                                                    const std::string& path) {
  TableReader reader(table, path, diagnostics_);
  std::optional<config::Publisher> result;
  if (const auto kind =
          kindOf(reader, {"rfc2136", "external", "zonefile", "pdns", "cloudflare", "desec"},
                 "publisher")) {
    if (*kind == "rfc2136") {
      if (auto decoded = rfc2136(reader)) result = *decoded;
    } else if (*kind == "external") {
      if (auto decoded = externalProgram(reader)) result = *decoded;
    } else if (*kind == "zonefile") {
      if (auto decoded = zoneFile(reader)) result = *decoded;
    } else if (*kind == "pdns") {
      if (auto decoded = powerDns(reader)) result = *decoded;
    } else if (*kind == "cloudflare") {
      if (auto decoded = cloudflare(reader)) result = *decoded;
    } else if (auto decoded = desec(reader)) {
      result = *decoded;
    }
  }
  reader.rejectUnknownKeys();
  return result;
}

std::optional<config::Rfc2136Publisher> Decoder::rfc2136(TableReader& reader) {
  config::Rfc2136Publisher publisher;
  bool ok = true;
  if (const toml::node* node = reader.find("server", true)) {
    auto address = serverAddress(*node, reader.pathOf("server"), 53);
    ok = ok && address.has_value();
    if (address) publisher.server = *address;
  } else {
    ok = false;
  }
  if (const auto zone = reader.string("zone")) {
    auto name = parseHostName(*zone, false);
    if (name)
      publisher.zone = *name;
    else {
      reader.error("zone", name.error().message);
      ok = false;
    }
  }
  if (const toml::array* servers = reader.array("extra_servers")) {
    for (std::size_t i = 0; i < servers->size(); ++i) {
      auto address = serverAddress((*servers)[i],
                                   fmt::format("{}[{}]", reader.pathOf("extra_servers"), i), 53);
      if (address)
        publisher.extra_servers.push_back(*address);
      else
        ok = false;
    }
  }
  auto credentials = tsig(reader);
  if (!credentials) return std::nullopt;
  publisher.tsig = *credentials;
  return ok ? std::optional(publisher) : std::nullopt;
}

std::optional<config::PublisherDnsSettings> Decoder::publisherDns(TableReader& reader) {
  config::PublisherDnsSettings settings;
  bool ok = true;
  if (const toml::node* node = reader.find("dns_server", true)) {
    auto address = serverAddress(*node, reader.pathOf("dns_server"), 53);
    ok = address.has_value();
    if (address) settings.dns_server = *address;
  } else {
    ok = false;
  }
  if (const auto zone = reader.string("zone")) {
    auto name = parseHostName(*zone, false);
    if (name) {
      settings.zone = *name;
    } else {
      reader.error("zone", name.error().message);
      ok = false;
    }
  }
  if (const toml::array* servers = reader.array("extra_servers")) {
    for (std::size_t i = 0; i < servers->size(); ++i) {
      auto address = serverAddress((*servers)[i],
                                   fmt::format("{}[{}]", reader.pathOf("extra_servers"), i), 53);
      if (address)
        settings.extra_servers.push_back(*address);
      else
        ok = false;
    }
  }
  return ok ? std::optional(settings) : std::nullopt;
}

std::optional<std::vector<std::string>> Decoder::programArgv(TableReader& reader,
                                                             std::string_view key,
                                                             std::string_view example) {
  const toml::array* command = reader.array(key, true);
  if (command == nullptr) return std::nullopt;
  std::vector<std::string> argv;
  if (!commandLine(*command, reader.pathOf(key), argv, example)) return std::nullopt;
  return argv;
}

std::optional<config::ExternalProgramPublisher> Decoder::externalProgram(TableReader& reader) {
  config::ExternalProgramPublisher publisher;
  auto dns = publisherDns(reader);
  auto command = programArgv(reader, "command",
                             "[\"/usr/local/sbin/tlsa-publish\", \"--zone\", "
                             "\"example.com\"]");
  const bool timeout_ok = optionalDuration(reader, "timeout", publisher.timeout);
  if (!dns || !command || !timeout_ok) return std::nullopt;
  publisher.dns = std::move(*dns);
  publisher.command = std::move(*command);
  return publisher;
}

std::optional<config::ZoneFilePublisher> Decoder::zoneFile(TableReader& reader) {
  config::ZoneFilePublisher publisher;
  auto dns = publisherDns(reader);
  auto file = absolutePath(reader, "file", true);
  auto reload = programArgv(reader, "reload", "[\"/usr/sbin/rndc\", \"reload\", \"example.com\"]");
  const bool timeout_ok = optionalDuration(reader, "timeout", publisher.timeout);
  if (!dns || !file || !reload || !timeout_ok) return std::nullopt;
  publisher.dns = std::move(*dns);
  publisher.file = std::move(*file);
  publisher.reload = std::move(*reload);
  return publisher;
}

std::optional<config::ApiPublisherCommon> Decoder::apiCommon(TableReader& reader) {
  config::ApiPublisherCommon common;
  auto dns = publisherDns(reader);
  bool ok = dns.has_value();
  if (dns) common.dns = std::move(*dns);
  if (reader.find("ca_file") != nullptr) {
    common.ca_file = absolutePath(reader, "ca_file", false);
    ok = ok && common.ca_file.has_value();
  }
  return ok ? std::optional(common) : std::nullopt;
}

std::optional<config::ApiCredentials> Decoder::apiCredentials(TableReader& reader,
                                                              std::string_view file_key,
                                                              std::string_view env_key,
                                                              std::string_view inline_key) {
  if (reader.find(inline_key) != nullptr) {
    reader.error(inline_key, fmt::format("API credentials must not be written into the "
                                         "configuration file, which is usually world-readable; "
                                         "put the value alone in a file readable only by "
                                         "daneguard and name it with {}, or name an environment "
                                         "variable holding it with {}",
                                         file_key, env_key));
    return std::nullopt;
  }
  const bool file_given = reader.find(file_key) != nullptr;
  const bool env_given = reader.find(env_key) != nullptr;
  if (file_given && env_given) {
    reader.error(env_key, fmt::format("set either {} or {}, not both", file_key, env_key));
    return std::nullopt;
  }
  if (file_given) {
    auto path = absolutePath(reader, file_key, true);
    if (!path) return std::nullopt;
    return config::ApiTokenFile{*path};
  }
  if (env_given) {
    auto variable = reader.string(env_key, true);
    if (!variable) return std::nullopt;
    if (!isEnvironmentVariableName(*variable)) {
      reader.error(env_key, "expected an environment variable name (letters, digits, '_')");
      return std::nullopt;
    }
    return config::ApiTokenEnvironment{*variable};
  }
  diagnostics_.add(reader.tablePosition(),
                   fmt::format("{}: missing API credentials: set {} (a file holding only the "
                               "value) or {} (an environment variable)",
                               reader.path(), file_key, env_key));
  return std::nullopt;
}

/// An http(s) URL without a trailing slash; `fallback` when the key is absent. Plain http only
/// where `allow_http` (a PowerDNS webserver, which speaks no TLS, behind loopback or a proxy):
/// a provider token must never cross the network in clear.
std::optional<std::string> Decoder::apiUrl(TableReader& reader, std::optional<std::string> fallback,
                                           bool allow_http) {
  auto url = reader.string("api_url", !fallback.has_value());
  if (!url) return reader.find("api_url") == nullptr ? fallback : std::nullopt;
  const bool https = url->rfind("https://", 0) == 0;
  const bool http = url->rfind("http://", 0) == 0;
  const std::size_t host_start = https ? 8 : 7;
  if ((!https && !http) || url->size() <= host_start ||
      url->find_first_of(" \t\r\n") != std::string::npos) {
    reader.error("api_url",
                 fmt::format("expected an http:// or https:// URL, got '{}'", printable(*url)));
    return std::nullopt;
  }
  if (http && !allow_http) {
    reader.error("api_url", fmt::format("must be an https:// URL (the API token would otherwise "
                                        "travel in clear), got '{}'",
                                        printable(*url)));
    return std::nullopt;
  }
  while (url->size() > host_start && url->back() == '/')
    url->pop_back();
  return url;
}

std::optional<config::PowerDnsPublisher> Decoder::powerDns(TableReader& reader) {
  config::PowerDnsPublisher publisher;
  auto url = apiUrl(reader, std::nullopt, true);
  if (const auto server_id = reader.string("server_id")) {
    if (server_id->empty() || server_id->find_first_of("/?#% ") != std::string::npos) {
      reader.error("server_id", "expected a PowerDNS server id such as \"localhost\"");
      url.reset();
    } else {
      publisher.server_id = *server_id;
    }
  }
  auto key = apiCredentials(reader, "api_key_file", "api_key_env", "api_key");
  auto common = apiCommon(reader);
  if (!url || !key || !common) return std::nullopt;
  publisher.api_url = *url;
  publisher.api_key = *key;
  publisher.common = *common;
  return publisher;
}

std::optional<config::CloudflarePublisher> Decoder::cloudflare(TableReader& reader) {
  config::CloudflarePublisher publisher;
  auto url = apiUrl(reader, publisher.api_url, false);
  if (const auto zone_id = reader.string("zone_id")) {
    const bool plain =
        !zone_id->empty() && zone_id->size() <= 64 &&
        std::all_of(zone_id->begin(), zone_id->end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        });
    if (plain)
      publisher.zone_id = *zone_id;
    else {
      reader.error("zone_id", "expected a Cloudflare zone id (32 hexadecimal digits)");
      url.reset();
    }
  }
  auto token = apiCredentials(reader, "token_file", "token_env", "token");
  auto common = apiCommon(reader);
  if (!url || !token || !common) return std::nullopt;
  publisher.api_url = *url;
  publisher.token = *token;
  publisher.common = *common;
  return publisher;
}

std::optional<config::DesecPublisher> Decoder::desec(TableReader& reader) {
  config::DesecPublisher publisher;
  auto url = apiUrl(reader, publisher.api_url, false);
  auto token = apiCredentials(reader, "token_file", "token_env", "token");
  auto common = apiCommon(reader);
  if (!url || !token || !common) return std::nullopt;
  publisher.api_url = *url;
  publisher.token = *token;
  publisher.common = *common;
  return publisher;
}

std::optional<config::TsigCredentials> Decoder::tsig(TableReader& reader) {
  const TsigKeys keys = readTsigKeys(reader);
  if (keys.key_file_given) return tsigKeyFile(reader, keys);
  if (reader.find("tsig_key_name") == nullptr) {
    if (keys.inline_secret) return std::nullopt;  // already explained
    diagnostics_.add(reader.tablePosition(),
                     fmt::format("{}: missing TSIG credentials: set tsig_key_file (a BIND key "
                                 "file), or tsig_key_name with tsig_secret_file or "
                                 "tsig_secret_env",
                                 reader.path()));
    return std::nullopt;
  }
  return tsigNamedKey(reader, keys);
}

// Every key is read (in this order, which is the order of the messages) before any is judged,
// so that all their problems are reported in the same run.
Decoder::TsigKeys Decoder::readTsigKeys(TableReader& reader) {
  TsigKeys keys;
  keys.inline_secret = refuseInlineSecret(reader);
  keys.key_file = absolutePath(reader, "tsig_key_file", false);
  keys.key_file_given = reader.find("tsig_key_file") != nullptr;
  keys.key_name = reader.string("tsig_key_name");
  keys.secret_file = absolutePath(reader, "tsig_secret_file", false);
  keys.secret_file_given = reader.find("tsig_secret_file") != nullptr;
  keys.secret_env = reader.string("tsig_secret_env");
  keys.algorithm = tsigAlgorithm(reader);
  return keys;
}

/// Returns whether tsig_secret is present.
bool Decoder::refuseInlineSecret(TableReader& reader) {
  // Known (never reported as "unknown", whose suggestion would not help) and always refused.
  const bool inline_secret = reader.find("tsig_secret") != nullptr;
  if (inline_secret) {
    reader.error("tsig_secret",
                 "TSIG secrets must not be written into the configuration file, which is "
                 "usually world-readable; put the base64 secret alone in a file readable only "
                 "by daneguard and name it with tsig_secret_file, or name an environment "
                 "variable holding it with tsig_secret_env");
  }
  return inline_secret;
}

/// hmac-sha256 when tsig_algorithm is absent; nullopt (reported) when it is invalid.
std::optional<config::TsigAlgorithm> Decoder::tsigAlgorithm(TableReader& reader) {
  const toml::node* algorithm_node = reader.find("tsig_algorithm");
  if (algorithm_node == nullptr) return config::TsigAlgorithm::HmacSha256;
  const auto text = expectString(*algorithm_node, reader.pathOf("tsig_algorithm"), diagnostics_);
  if (!text) return std::nullopt;
  auto algorithm = parseTsigAlgorithm(*text);
  if (!algorithm) {
    reader.error("tsig_algorithm", algorithm.error().message);
    return std::nullopt;
  }
  return *algorithm;
}

std::optional<config::TsigCredentials> Decoder::tsigKeyFile(TableReader& reader,
                                                            const TsigKeys& keys) {
  bool ok = keys.key_file.has_value();
  for (const std::string_view other :
       {"tsig_key_name", "tsig_secret_file", "tsig_secret_env", "tsig_algorithm"}) {
    if (reader.find(other) != nullptr) {
      reader.error(other,
                   "conflicts with tsig_key_file, which already names the key, its "
                   "algorithm and its secret");
      ok = false;
    }
  }
  if (!ok || keys.inline_secret) return std::nullopt;
  return config::TsigKeyFile{*keys.key_file};
}

/// tsig_key_name with its secret in exactly one of a file or an environment variable.
std::optional<config::TsigCredentials> Decoder::tsigNamedKey(TableReader& reader,
                                                             const TsigKeys& keys) {
  bool ok = keys.key_name.has_value() && keys.algorithm.has_value();
  if (keys.key_name && !isPlausibleKeyName(*keys.key_name)) {
    reader.error("tsig_key_name",
                 "TSIG key names are domain names (letters, digits, '-', '_' and '.')");
    ok = false;
  }
  const bool env_given = reader.find("tsig_secret_env") != nullptr;
  const bool both_given = keys.secret_file_given && env_given;
  const bool neither_given = !keys.secret_file_given && !env_given;
  if (both_given || (neither_given && !keys.inline_secret)) {  // inline: explained already
    diagnostics_.add(reader.positionOf("tsig_key_name"),
                     fmt::format("{}: set exactly one of tsig_secret_file and tsig_secret_env",
                                 reader.pathOf("tsig_key_name")));
    return std::nullopt;
  }
  if (keys.secret_env && !isEnvironmentVariableName(*keys.secret_env)) {
    reader.error("tsig_secret_env",
                 "expected the name of an environment variable (letters, digits and '_'; "
                 "the value not shown: the key names a secret)");
    ok = false;
  }
  if (!ok || keys.inline_secret || (keys.secret_file_given && !keys.secret_file) ||
      (env_given && !keys.secret_env))
    return std::nullopt;
  if (keys.secret_file)
    return config::TsigSecretFile{*keys.key_name, *keys.algorithm, *keys.secret_file};
  return config::TsigSecretEnvironment{*keys.key_name, *keys.algorithm, *keys.secret_env};
}

std::optional<config::CertificateSource> Decoder::certificate(const toml::table& table,
                                                              const std::string& path) {
  TableReader reader(table, path, diagnostics_);
  std::optional<config::CertificateSource> result;
  const auto kind = kindOf(reader, {"pem", "files", "certbot"}, "certificate source");
  if (kind == "pem") {
    if (auto file = absolutePath(reader, "path", true)) result = config::PemBundleSource{*file};
  } else if (kind == "files") {
    result = separateFiles(reader, path);
  } else if (kind == "certbot") {
    result = certbotLineage(reader);
  }
  reader.rejectUnknownKeys();
  return result;
}

std::optional<config::CertificateSource> Decoder::separateFiles(TableReader& reader,
                                                                const std::string& path) {
  config::SeparateFilesSource files;
  const auto key = absolutePath(reader, "key", true);
  files.certificate = absolutePath(reader, "certificate", false);
  files.chain = absolutePath(reader, "chain", false);
  files.fullchain = absolutePath(reader, "fullchain", false);
  const bool has_certificate = reader.find("certificate") != nullptr;
  const bool has_chain = reader.find("chain") != nullptr;
  const bool has_fullchain = reader.find("fullchain") != nullptr;
  bool ok = key.has_value();
  if (has_certificate == has_fullchain) {
    diagnostics_.add(has_fullchain ? reader.positionOf("fullchain") : reader.tablePosition(),
                     fmt::format("{}: set exactly one of 'certificate' (leaf only, with an "
                                 "optional 'chain') and 'fullchain' (leaf then intermediates)",
                                 path));
    ok = false;
  }
  if (has_chain && has_fullchain) {
    reader.error("chain", "'chain' goes with 'certificate'; 'fullchain' already holds it");
    ok = false;
  }
  // A path that is given but invalid has already been reported by absolutePath.
  if (!ok || !(files.certificate || files.fullchain) || (has_chain && !files.chain))
    return std::nullopt;
  files.key = *key;
  return files;
}

std::optional<config::CertificateSource> Decoder::certbotLineage(TableReader& reader) {
  config::CertbotLineageSource certbot;
  const auto lineage = reader.string("lineage", true);
  bool ok = lineage.has_value();
  if (lineage && !isValidLineageName(*lineage)) {
    reader.error("lineage", fmt::format("expected a lineage name as in /etc/letsencrypt/live/"
                                        "<name>, got '{}'",
                                        printable(*lineage)));
    ok = false;
  }
  if (auto dir = absolutePath(reader, "config_dir", false))
    certbot.config_dir = *dir;
  else if (reader.find("config_dir") != nullptr)
    ok = false;
  if (!ok) return std::nullopt;
  certbot.lineage = *lineage;
  return certbot;
}

std::optional<config::Deploy> Decoder::deploy(const toml::table& table, const std::string& path) {
  TableReader reader(table, path, diagnostics_);
  std::optional<config::Deploy> result;
  const auto kind = kindOf(reader, {"hook", "install", "symlinks"}, "deploy");
  if (kind == "hook") {
    if (auto hook = hookDeploy(reader)) result = *hook;
  } else if (kind == "install") {
    if (auto install = installDeploy(reader)) result = *install;
  } else if (kind == "symlinks") {
    if (auto links = symlinkDeploy(reader)) result = *links;
  }
  reader.rejectUnknownKeys();
  return result;
}

bool Decoder::commandLine(const toml::array& command, const std::string& command_path,
                          std::vector<std::string>& argv, std::string_view example) {
  bool ok = true;
  if (command.empty()) {
    diagnostics_.add(positionOf(command.source()),
                     fmt::format("{}: must not be empty: give the program and its arguments, "
                                 "e.g. {}",
                                 command_path, example));
    ok = false;
  }
  for (std::size_t i = 0; i < command.size(); ++i) {
    const std::string element_path = fmt::format("{}[{}]", command_path, i);
    auto argument = expectString(command[i], element_path, diagnostics_);
    if (!argument) {
      ok = false;
      continue;
    }
    const auto report = [&](std::string message) {
      diagnostics_.add(positionOf(command[i].source()),
                       fmt::format("{}: {}", element_path, message));
      ok = false;
    };
    if (i == 0) {
      checkAbsolutePath(*argument, "command", report);  // argv, no shell, no PATH search
    } else if (argument->find('\0') != std::string::npos) {
      report("arguments cannot contain NUL characters");
    }
    argv.push_back(*argument);
  }
  return ok;
}

std::optional<config::HookDeploy> Decoder::hookDeploy(TableReader& reader) {
  config::HookDeploy hook;
  bool ok = true;
  if (const toml::array* command = reader.array("command", true))
    ok = commandLine(*command, reader.pathOf("command"), hook.command);
  else
    ok = false;
  ok = optionalDuration(reader, "timeout", hook.timeout) && ok;
  return ok ? std::optional(hook) : std::nullopt;
}

bool Decoder::reloadCommands(TableReader& reader, config::ReloadCommands& reload) {
  bool ok = true;
  if (const toml::array* commands = reader.array("reload")) {
    for (std::size_t i = 0; i < commands->size(); ++i) {
      const std::string element_path = fmt::format("{}[{}]", reader.pathOf("reload"), i);
      const toml::array* command = (*commands)[i].as_array();
      if (command == nullptr) {
        diagnostics_.add(positionOf((*commands)[i].source()),
                         fmt::format("{}: expected a command as an array of strings, e.g. "
                                     "[\"/usr/sbin/postfix\", \"reload\"] (no shell), got {}",
                                     element_path, describeNodeType((*commands)[i])));
        ok = false;
        continue;
      }
      std::vector<std::string> argv;
      ok = commandLine(*command, element_path, argv, R"(["/usr/sbin/postfix", "reload"])") && ok;
      reload.commands.push_back(std::move(argv));
    }
  } else if (reader.find("reload") != nullptr) {
    ok = false;
  }
  return optionalDuration(reader, "reload_timeout", reload.timeout) && ok;
}

std::optional<std::uint32_t> Decoder::fileMode(TableReader& reader, std::string_view key) {
  const toml::node* node = reader.find(key);
  if (node == nullptr) return std::nullopt;
  std::int64_t mode = -1;
  if (const auto* text = node->as_string()) {
    const std::string& digits = text->get();
    const bool octal =
        !digits.empty() && digits.size() <= 4 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; });
    if (octal) mode = std::stoll(digits, nullptr, 8);
  } else if (const auto* integer = node->as_integer()) {
    mode = integer->get();  // TOML 0o640; a decimal 640 lands above 0777 and is refused
  }
  if (mode < 0 || mode > 0777) {
    reader.error(key,
                 "expected an octal file mode such as \"0640\" or 0o640 (permission bits "
                 "only)");
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(mode);
}

std::optional<config::InstallDeploy> Decoder::installDeploy(TableReader& reader) {
  config::InstallDeploy install;
  bool ok = true;
  if (auto directory = absolutePath(reader, "directory", true))
    install.directory = *directory;
  else
    ok = false;
  for (const std::string_view key : {"owner", "group"}) {
    auto name = reader.string(key);
    if (!name) {
      ok = ok && reader.find(key) == nullptr;
      continue;
    }
    if (name->empty() || name->size() > 32 || name->find_first_of(":/\0 ") != std::string::npos) {
      reader.error(key, fmt::format("expected a {} name or number, got '{}'",
                                    key == "owner" ? "user" : "group", printable(*name)));
      ok = false;
      continue;
    }
    (key == "owner" ? install.owner : install.group) = *name;
  }
  if (auto mode = fileMode(reader, "key_mode")) {
    // The key must never be readable by others, and by a group only when one is named (an
    // unnamed group is whatever group daneguard runs as: not a decision anyone made).
    if ((*mode & ~0640U) != 0 || (*mode & 0400U) == 0) {
      reader.error("key_mode", fmt::format("{:04o} is not allowed for private keys: use 0600, "
                                           "0400, or 0640/0440 with 'group' (never readable by "
                                           "others, never writable or executable)",
                                           *mode));
      ok = false;
    } else if ((*mode & 0040U) != 0 && !install.group) {
      reader.error("key_mode", fmt::format("{:04o} gives the key to a group: also set 'group' "
                                           "(e.g. group = \"ssl-cert\")",
                                           *mode));
      ok = false;
    } else {
      install.key_mode = *mode;
    }
  } else if (reader.find("key_mode") != nullptr) {
    ok = false;
  }
  if (auto mode = fileMode(reader, "certificate_mode")) {
    if ((*mode & 0111U) != 0 || (*mode & 0400U) == 0) {
      reader.error("certificate_mode",
                   fmt::format("{:04o}: certificates need owner read and no execute bits "
                               "(e.g. 0644)",
                               *mode));
      ok = false;
    } else {
      install.certificate_mode = *mode;
    }
  } else if (reader.find("certificate_mode") != nullptr) {
    ok = false;
  }
  ok = reloadCommands(reader, install.reload) && ok;
  return ok ? std::optional(install) : std::nullopt;
}

std::optional<config::SymlinkDeploy> Decoder::symlinkDeploy(TableReader& reader) {
  config::SymlinkDeploy links;
  bool ok = true;
  if (auto directory = absolutePath(reader, "directory", false))
    links.directory = *directory;
  else if (reader.find("directory") != nullptr)
    ok = false;
  ok = reloadCommands(reader, links.reload) && ok;
  return ok ? std::optional(links) : std::nullopt;
}

config::ProbeSettings Decoder::probe(const toml::table& table, const std::string& path) {
  TableReader reader(table, path, diagnostics_);
  config::ProbeSettings probe;
  if (const auto enabled = reader.boolean("enabled")) probe.enabled = *enabled;
  if (const toml::array* endpoints = reader.array("endpoints")) {
    if (endpoints->empty())
      reader.error("endpoints", "must not be empty; omit it to probe every host and port");
    for (std::size_t i = 0; i < endpoints->size(); ++i) {
      if (auto endpoint = serverAddress((*endpoints)[i],
                                        fmt::format("{}[{}]", reader.pathOf("endpoints"), i), {}))
        probe.endpoints.push_back(*endpoint);
    }
  }
  if (const auto timeout = duration(reader, "timeout", false)) probe.timeout = *timeout;
  if (const auto starttls = reader.string("starttls")) {
    probe.starttls = parseStartTlsProtocol(*starttls);
    if (!probe.starttls)
      reader.error("starttls", fmt::format("unknown protocol '{}' (supported: 'implicit', "
                                           "'smtp', 'lmtp', 'imap', 'pop3', 'ftp', "
                                           "'xmpp-client', 'xmpp-server', 'sieve', 'ldap', "
                                           "'postgres', 'nntp')",
                                           *starttls));
  }
  probe.configured = true;
  reader.rejectUnknownKeys();
  return probe;
}

std::optional<config::Service> Decoder::service(const toml::table& table, std::size_t index,
                                                ServiceSites& sites) {
  const std::string path = fmt::format("services[{}]", index);
  TableReader reader(table, path, diagnostics_);
  config::Service service;
  // Every key is decoded even after a failure, so that one run reports all problems.
  bool ok = serviceName(reader, path, service, sites);
  ok = serviceHosts(reader, service, sites) && ok;
  ok = servicePorts(reader, service) && ok;
  ok = serviceProtocol(reader, service) && ok;
  ok = serviceRecords(reader, service) && ok;
  ok = serviceTtl(reader, service) && ok;
  ok = servicePublisher(reader, service) && ok;
  ok = serviceCertificate(reader, service) && ok;
  ok = serviceDeploy(reader, service) && ok;
  if (ok && std::holds_alternative<config::SymlinkDeploy>(service.deploy) &&
      !std::holds_alternative<config::CertbotLineageSource>(service.certificate)) {
    reader.error("deploy",
                 "type \"symlinks\" links to certbot's archive files: it needs a "
                 "certificate of type \"certbot\" (use type \"install\" otherwise)");
    ok = false;
  }

  if (const toml::table* settings = reader.table("probe"))
    service.probe = probe(*settings, reader.pathOf("probe"));

  service.rollover = config_.rollover;
  if (const toml::table* overrides = reader.table("rollover"))
    service.rollover = rollover(*overrides, reader.pathOf("rollover"), config_.rollover);

  reader.rejectUnknownKeys();
  return ok ? std::optional(service) : std::nullopt;
}

bool Decoder::serviceName(TableReader& reader, const std::string& path, config::Service& service,
                          ServiceSites& sites) {
  const auto name = reader.string("name", true);
  if (!name) return false;
  sites.name = reader.positionOf("name");
  if (!isValidName(*name)) {
    reader.error("name", fmt::format("invalid service name '{}': use letters, digits, '-', "
                                     "'_' and '.' (at most 64, not starting with '.' or '-')",
                                     printable(*name)));
    return false;
  }
  service.name = *name;
  // Later messages name the service, which is easier to find than its index.
  reader.setLabel(fmt::format("{} (\"{}\")", path, *name));
  return true;
}

bool Decoder::serviceHosts(TableReader& reader, config::Service& service, ServiceSites& sites) {
  const toml::array* hosts = reader.array("hosts", true);
  if (hosts == nullptr || tooLong(reader, "hosts", *hosts, kMaxHostsPerService)) return false;
  bool ok = true;
  if (hosts->empty()) {
    reader.error("hosts", "must list at least one host name");
    ok = false;
  }
  for (std::size_t i = 0; i < hosts->size(); ++i) {
    const std::string element_path = fmt::format("{}[{}]", reader.pathOf("hosts"), i);
    ok = serviceHost((*hosts)[i], element_path, service, sites) && ok;
  }
  return ok;
}

bool Decoder::serviceHost(const toml::node& element, const std::string& element_path,
                          config::Service& service, ServiceSites& sites) {
  const auto text = expectString(element, element_path, diagnostics_);
  if (!text) return false;
  auto host = parseHostName(*text, true);
  if (!host) {
    diagnostics_.add(positionOf(element.source()),
                     fmt::format("{}: {}", element_path, host.error().message));
    return false;
  }
  if (std::find(service.hosts.begin(), service.hosts.end(), *host) != service.hosts.end()) {
    diagnostics_.add(positionOf(element.source()),
                     fmt::format("{}: host '{}' is listed twice", element_path, *host));
    return false;
  }
  service.hosts.push_back(*host);
  sites.hosts.push_back(positionOf(element.source()));
  return true;
}

bool Decoder::servicePorts(TableReader& reader, config::Service& service) {
  const toml::array* ports = reader.array("ports", true);
  if (ports == nullptr || tooLong(reader, "ports", *ports, kMaxPortsPerService)) return false;
  bool ok = true;
  if (ports->empty()) {
    reader.error("ports", "must list at least one port");
    ok = false;
  }
  for (std::size_t i = 0; i < ports->size(); ++i) {
    const std::string element_path = fmt::format("{}[{}]", reader.pathOf("ports"), i);
    ok = servicePort((*ports)[i], element_path, service) && ok;
  }
  return ok;
}

bool Decoder::servicePort(const toml::node& element, const std::string& element_path,
                          config::Service& service) {
  const auto port = expectInteger(element, element_path, diagnostics_, "a port number 1-65535");
  if (!port) return false;
  if (*port < 1 || *port > 65535) {
    diagnostics_.add(
        positionOf(element.source()),
        fmt::format("{}: expected a port number 1-65535, got {}", element_path, *port));
    return false;
  }
  if (std::find(service.ports.begin(), service.ports.end(), *port) != service.ports.end()) {
    diagnostics_.add(positionOf(element.source()),
                     fmt::format("{}: port {} is listed twice", element_path, *port));
    return false;
  }
  service.ports.push_back(static_cast<std::uint16_t>(*port));
  return true;
}

bool Decoder::serviceProtocol(TableReader& reader, config::Service& service) {
  const auto protocol = reader.string("protocol");
  if (!protocol) return reader.find("protocol") == nullptr;  // absent keeps the default
  if (*protocol == "tcp") {
    service.protocol = config::TransportProtocol::Tcp;
  } else if (*protocol == "udp") {
    service.protocol = config::TransportProtocol::Udp;
  } else if (*protocol == "sctp") {
    service.protocol = config::TransportProtocol::Sctp;
  } else {
    reader.error("protocol", fmt::format("unknown protocol '{}' (supported: 'tcp', 'udp', "
                                         "'sctp')",
                                         printable(*protocol)));
    return false;
  }
  return true;
}

bool Decoder::serviceRecords(TableReader& reader, config::Service& service) {
  const toml::array* records = reader.array("records");
  if (records == nullptr) return reader.find("records") == nullptr;  // absent keeps "3 1 1"
  if (tooLong(reader, "records", *records, kMaxRecordsPerService)) return false;
  service.records.clear();
  bool ok = true;
  if (records->empty()) {
    reader.error("records", "must list at least one parameter triple; omit it for \"3 1 1\"");
    ok = false;
  }
  for (std::size_t i = 0; i < records->size(); ++i) {
    const std::string element_path = fmt::format("{}[{}]", reader.pathOf("records"), i);
    ok = serviceRecord((*records)[i], element_path, service) && ok;
  }
  return ok;
}

bool Decoder::serviceRecord(const toml::node& element, const std::string& element_path,
                            config::Service& service) {
  const auto text = expectString(element, element_path, diagnostics_);
  if (!text) return false;
  auto parameters = daneguard::parseTlsaParameters(*text);
  if (!parameters) {
    diagnostics_.add(positionOf(element.source()),
                     fmt::format("{}: invalid TLSA parameters '{}': {}", element_path,
                                 printable(*text), parameters.error().message));
    return false;
  }
  if (std::find(service.records.begin(), service.records.end(), *parameters) !=
      service.records.end()) {
    diagnostics_.add(positionOf(element.source()),
                     fmt::format("{}: '{}' is listed twice", element_path, printable(*text)));
    return false;
  }
  service.records.push_back(*parameters);
  return true;
}

bool Decoder::serviceTtl(TableReader& reader, config::Service& service) {
  const auto ttl = reader.integer("ttl");
  if (!ttl) return reader.find("ttl") == nullptr;  // absent keeps the default
  if (*ttl < 1 || *ttl > kMaxTtl) {
    reader.error("ttl", fmt::format("expected a TTL of 1-2147483647 seconds, got {}", *ttl));
    return false;
  }
  service.ttl = static_cast<std::uint32_t>(*ttl);
  return true;
}

bool Decoder::servicePublisher(TableReader& reader, config::Service& service) {
  const auto publisher = reader.string("publisher", true);
  if (!publisher) return false;
  service.publisher = *publisher;
  if (std::find(declared_publishers_.begin(), declared_publishers_.end(), *publisher) !=
      declared_publishers_.end())
    return true;
  std::string message = fmt::format("unknown publisher '{}'", printable(*publisher));
  if (declared_publishers_.empty())
    message += " (no [publishers.<name>] table is defined)";
  else
    message += fmt::format(" (defined: {})", joinQuoted(declared_publishers_));
  if (const auto suggestion = closestMatch(*publisher, declared_publishers_))
    message += fmt::format("; did you mean '{}'?", *suggestion);
  reader.error("publisher", message);
  return false;
}

/// `[services.certificate]` (one table) or `[[services.certificate]]` (an array of tables, for
/// dual RSA + ECDSA certificates served side by side; the first is the primary).
bool Decoder::serviceCertificate(TableReader& reader, config::Service& service) {
  const toml::node* node = reader.find("certificate", true);
  if (node == nullptr) return false;
  const std::string path = reader.pathOf("certificate");
  if (const toml::array* sources = node->as_array()) {
    constexpr std::size_t kMaxCertificates = 4;  // RSA, ECDSA and room for a transition
    if (sources->empty() || sources->size() > kMaxCertificates) {
      reader.error("certificate", fmt::format("expected 1 to {} certificate source tables, got {}",
                                              kMaxCertificates, sources->size()));
      return false;
    }
    bool ok = true;
    std::vector<config::CertificateSource> decoded;
    for (std::size_t i = 0; i < sources->size(); ++i) {
      const std::string element_path = fmt::format("{}[{}]", path, i);
      const toml::table* table = expectTable((*sources)[i], element_path, diagnostics_);
      if (table == nullptr) {
        ok = false;
        continue;
      }
      auto source = certificate(*table, element_path);
      if (!source) {
        ok = false;
        continue;
      }
      if (std::find(decoded.begin(), decoded.end(), *source) != decoded.end()) {
        diagnostics_.add(
            positionOf((*sources)[i].source()),
            fmt::format("{}: the same certificate source is listed twice", element_path));
        ok = false;
        continue;
      }
      decoded.push_back(std::move(*source));
    }
    if (!ok) return false;
    service.certificate = decoded.front();
    service.additional_certificates.assign(decoded.begin() + 1, decoded.end());
    return true;
  }
  const toml::table* source = reader.table("certificate", true);
  if (source == nullptr) return false;
  auto decoded = certificate(*source, path);
  if (!decoded) return false;
  service.certificate = *decoded;
  return true;
}

bool Decoder::serviceDeploy(TableReader& reader, config::Service& service) {
  const toml::table* method = reader.table("deploy", true);
  if (method == nullptr) return false;
  auto decoded = deploy(*method, reader.pathOf("deploy"));
  if (!decoded) return false;
  service.deploy = *decoded;
  return true;
}

void Decoder::checkAcrossServices(const std::vector<config::Service>& services,
                                  const std::vector<ServiceSites>& sites) {
  std::map<std::string, std::size_t> first_by_name;
  // Two services publishing under one TLSA owner name would remove each other's records.
  std::map<std::string, std::size_t> owner_claims;
  for (std::size_t i = 0; i < services.size(); ++i) {
    const config::Service& service = services[i];
    const auto [named, fresh] = first_by_name.emplace(service.name, i);
    if (!fresh) {
      diagnostics_.add(sites[i].name,
                       fmt::format("services[{}].name: duplicate service name '{}' (first "
                                   "defined at line {})",
                                   sites[i].index, service.name, sites[named->second].name.line));
    }
    for (std::size_t h = 0; h < service.hosts.size(); ++h) {
      for (const std::uint16_t port : service.ports) {
        const std::string owner = fmt::format(
            "_{}._{}.{}", port, config::transportProtocolName(service.protocol), service.hosts[h]);
        const auto [claim, unclaimed] = owner_claims.emplace(owner, i);
        if (!unclaimed && claim->second != i) {
          diagnostics_.add(sites[i].hosts[h],
                           fmt::format("services[{}].hosts[{}]: TLSA owner {} is also managed "
                                       "by service '{}'; each owner name belongs to one service",
                                       sites[i].index, h, owner, services[claim->second].name));
        }
      }
    }
  }
}

config::Config Decoder::decode(const toml::table& root) {
  TableReader reader(root, "", diagnostics_);
  if (const auto dir = absolutePath(reader, "state_dir", false)) config_.state_dir = *dir;
  if (const toml::table* settings = reader.table("rollover"))
    config_.rollover = rollover(*settings, "rollover", config_.rollover);
  if (const toml::table* definitions = reader.table("publishers")) publishers(*definitions);

  const toml::node* services = reader.find("services");
  if (services == nullptr) {
    diagnostics_.add(Position{},
                     "no services are configured: add at least one [[services]] "
                     "table (see docs/configuration.md)");
  } else if (const toml::array* empty = services->as_array(); empty && empty->empty()) {
    reader.error("services", "must contain at least one service");
  } else if (const toml::array* list = services->as_array(); list && list->is_array_of_tables()) {
    std::vector<config::Service> decoded;
    std::vector<ServiceSites> sites;
    const bool within_limit = !tooLong(reader, "services", *list, kMaxServices);
    bool all_ok = within_limit;
    for (std::size_t i = 0; within_limit && i < list->size(); ++i) {
      ServiceSites where;
      where.index = i;
      auto one = service(*(*list)[i].as_table(), i, where);
      if (!one) {
        all_ok = false;
        continue;
      }
      decoded.push_back(std::move(*one));
      sites.push_back(std::move(where));
    }
    checkAcrossServices(decoded, sites);
    if (all_ok) config_.services = std::move(decoded);
  } else {
    reader.error("services", fmt::format("expected an array of tables ([[services]] sections), "
                                         "got {}",
                                         describeNodeType(*services)));
  }
  reader.rejectUnknownKeys();
  return config_;
}

}  // namespace

config::Config decodeConfig(const toml::table& root, Diagnostics& diagnostics) {
  return Decoder(diagnostics).decode(root);
}

}  // namespace daneguard::adapters::config_toml
