// The validated configuration as plain values: what an operator asked daneguard to manage.
//
// Produced by adapters/config_toml (which owns syntax, positions and error messages) and read
// by app. Every value here has already been checked, so consumers need no re-validation. Kinds
// that will grow (certificate sources, publishers, deploy methods) are std::variant members so
// that adding one is a new struct plus a visitor case, and existing code fails to compile until
// it handles the new kind. Paths are strings: core stays free of <filesystem> (layering rule).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/dns/tsig_algorithm.hpp"
#include "core/tls/starttls_protocol.hpp"
#include "core/tlsa/tlsa_record.hpp"

namespace daneguard::config {

/// Timing of a rollover: how long to wait after a new TLSA RRset is visible everywhere.
struct RolloverSettings {
  std::uint32_t cache_factor = 2;  // wait cache_factor x max(TTL) after full visibility
  std::chrono::seconds margin{60};
  std::chrono::seconds poll_interval{10};
  std::chrono::seconds propagation_timeout{30 * 60};  // all authoritative servers must agree

  bool operator==(const RolloverSettings&) const = default;
};

/// A DNS server as configured: a host name or IP literal (brackets removed) and a port.
struct ServerAddress {
  std::string host;
  std::uint16_t port = 53;

  bool operator==(const ServerAddress&) const = default;
};

// TSIG (RFC 8945). hmac-md5 is deliberately absent: the parser rejects it.
using daneguard::TsigAlgorithm;
using daneguard::tsigAlgorithmName;

/// A BIND `key "name" { algorithm ...; secret "..."; };` file (tsig-keygen / ddns-confgen).
struct TsigKeyFile {
  std::string path;
  bool operator==(const TsigKeyFile&) const = default;
};
/// Key name and algorithm in the config, base64 secret alone in a separate file.
struct TsigSecretFile {
  std::string key_name;
  TsigAlgorithm algorithm = TsigAlgorithm::HmacSha256;
  std::string path;
  bool operator==(const TsigSecretFile&) const = default;
};
/// Key name and algorithm in the config, base64 secret in an environment variable.
struct TsigSecretEnvironment {
  std::string key_name;
  TsigAlgorithm algorithm = TsigAlgorithm::HmacSha256;
  std::string variable;
  bool operator==(const TsigSecretEnvironment&) const = default;
};
using TsigCredentials = std::variant<TsigKeyFile, TsigSecretFile, TsigSecretEnvironment>;

/// Dynamic DNS updates (RFC 2136) signed with TSIG, sent to the primary server.
struct Rfc2136Publisher {
  ServerAddress server;
  TsigCredentials tsig;
  std::optional<std::string> zone;           // absent: discovered from the SOA
  std::vector<ServerAddress> extra_servers;  // authorities checked besides the NS set
  bool operator==(const Rfc2136Publisher&) const = default;
};
using Publisher = std::variant<Rfc2136Publisher>;

/// One PEM file holding the private key, the leaf and the chain (lego --pem, haproxy style).
struct PemBundleSource {
  std::string path;
  bool operator==(const PemBundleSource&) const = default;
};
/// Separate PEM files: the key plus either certificate (+ optional chain) or fullchain.
struct SeparateFilesSource {
  std::string key;
  std::optional<std::string> certificate;  // leaf only
  std::optional<std::string> chain;        // intermediates, only with certificate
  std::optional<std::string> fullchain;    // leaf followed by intermediates
  bool operator==(const SeparateFilesSource&) const = default;
};
/// A certbot lineage: <config_dir>/live/<lineage>/{privkey,fullchain}.pem and renewal/<l>.conf.
struct CertbotLineageSource {
  std::string lineage;
  std::string config_dir = "/etc/letsencrypt";
  bool operator==(const CertbotLineageSource&) const = default;
};
using CertificateSource = std::variant<PemBundleSource, SeparateFilesSource, CertbotLineageSource>;

/// Runs an operator program (argv, no shell) that installs the certificate and reloads.
struct HookDeploy {
  std::vector<std::string> command;  // command[0] is an absolute path without ".."
  std::chrono::seconds timeout{120};
  bool operator==(const HookDeploy&) const = default;
};
using Deploy = std::variant<HookDeploy>;

enum class TransportProtocol { Tcp, Udp, Sctp };
std::string_view transportProtocolName(TransportProtocol protocol);  // "tcp"

/// Checking which certificate the live server presents.
struct ProbeSettings {
  bool enabled = true;
  std::vector<ServerAddress> endpoints;  // empty: every host x every port of the service
  std::chrono::seconds timeout{10};
  /// A [services.x.probe] table was given (or DaneBot --probe). Probing is off without one, so
  /// configurations written for servers daneguard cannot reach keep working.
  bool configured = false;
  /// Protocol before the handshake; absent: implied by each port (defaultStartTlsProtocolForPort).
  std::optional<StartTlsProtocol> starttls;
  bool operator==(const ProbeSettings&) const = default;

  /// Whether `run` probes before and after a deploy.
  [[nodiscard]] bool active() const { return configured && enabled; }
};

struct Service {
  std::string name;                // unique; used in state, logs and on the command line
  std::vector<std::string> hosts;  // lower case, no trailing dot, unique
  std::vector<std::uint16_t> ports;
  TransportProtocol protocol = TransportProtocol::Tcp;
  std::vector<TlsaParameters> records{TlsaParameters{}};  // default 3 1 1
  std::uint32_t ttl = 3600;
  std::string publisher;  // a key of Config::publishers (checked)
  CertificateSource certificate;
  Deploy deploy;
  ProbeSettings probe;
  RolloverSettings rollover;  // the global [rollover] with this service's overrides applied
  bool operator==(const Service&) const = default;
};

struct Config {
  std::string state_dir = "/var/lib/daneguard";
  RolloverSettings rollover;  // defaults as written in [rollover]; services hold effective ones
  std::map<std::string, Publisher, std::less<>> publishers;
  std::vector<Service> services;  // in file order

  [[nodiscard]] const Service* findService(std::string_view name) const;
  [[nodiscard]] const Publisher* findPublisher(std::string_view name) const;
  bool operator==(const Config&) const = default;
};

}  // namespace daneguard::config
