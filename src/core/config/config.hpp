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

/// Where daneguard reads the zone of a publisher that does not speak DNS UPDATE: a server that
/// answers authoritatively for it (SOA walk, NS set). Visibility is still checked at every NS
/// address plus `extra_servers`, whatever the publisher.
struct PublisherDnsSettings {
  ServerAddress dns_server;
  std::optional<std::string> zone;           // absent: discovered from the SOA at dns_server
  std::vector<ServerAddress> extra_servers;  // authorities checked besides the NS set
  bool operator==(const PublisherDnsSettings&) const = default;
};

/// Alnitak's external-program protocol: one run of `command` per record, TLSA_* variables.
struct ExternalProgramPublisher {
  PublisherDnsSettings dns;
  std::vector<std::string> command;  // command[0] is an absolute path without ".."
  std::chrono::seconds timeout{120};
  bool operator==(const ExternalProgramPublisher&) const = default;
};

/// daneguard's records of one zone in an include file ($INCLUDE), then a reload command, for
/// servers that load (and sign) the zone from files themselves.
struct ZoneFilePublisher {
  PublisherDnsSettings dns;
  std::string file;                 // absolute path of the include file daneguard owns
  std::vector<std::string> reload;  // argv, command[0] absolute; run after every change
  std::chrono::seconds timeout{60};
  bool operator==(const ZoneFilePublisher&) const = default;
};

/// Where an HTTP API token (or PowerDNS API key) is read from; never the value itself.
struct ApiTokenFile {
  std::string path;
  bool operator==(const ApiTokenFile&) const = default;
};
struct ApiTokenEnvironment {
  std::string variable;
  bool operator==(const ApiTokenEnvironment&) const = default;
};
using ApiCredentials = std::variant<ApiTokenFile, ApiTokenEnvironment>;

/// What every HTTP API publisher shares: an authoritative server to find zones and name servers
/// through (SOA walk, NS set), an optional fixed zone, extra servers to watch, a private CA.
struct ApiPublisherCommon {
  PublisherDnsSettings dns;
  std::optional<std::string> ca_file;
  bool operator==(const ApiPublisherCommon&) const = default;
};

/// The PowerDNS Authoritative HTTP API (/api/v1/servers/{server_id}/zones/...).
struct PowerDnsPublisher {
  std::string api_url;  // e.g. "http://127.0.0.1:8081" (with or without /api/v1)
  std::string server_id = "localhost";
  ApiCredentials api_key;
  ApiPublisherCommon common;
  bool operator==(const PowerDnsPublisher&) const = default;
};

/// Cloudflare API v4 with an API token (Authorization: Bearer).
struct CloudflarePublisher {
  std::string api_url = "https://api.cloudflare.com/client/v4";
  ApiCredentials token;
  std::optional<std::string> zone_id;  // absent: looked up by zone name
  ApiPublisherCommon common;
  bool operator==(const CloudflarePublisher&) const = default;
};

/// deSEC (desec.io) with a token (Authorization: Token).
struct DesecPublisher {
  std::string api_url = "https://desec.io/api/v1";
  ApiCredentials token;
  ApiPublisherCommon common;
  bool operator==(const DesecPublisher&) const = default;
};

using Publisher = std::variant<Rfc2136Publisher, ExternalProgramPublisher, ZoneFilePublisher,
                               PowerDnsPublisher, CloudflarePublisher, DesecPublisher>;

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
/// Commands run after the files changed (e.g. {"/usr/sbin/postfix", "reload"}): argv lists,
/// each command[0] an absolute path without "..", run without a shell, one after the other.
struct ReloadCommands {
  std::vector<std::vector<std::string>> commands;
  std::chrono::seconds timeout{60};  // per command
  bool operator==(const ReloadCommands&) const = default;
};

/// Writes the certificate files into `directory` as one atomic set (docs/deploy.md), then runs
/// the reload commands; a failed reload switches back to the previous set.
struct InstallDeploy {
  std::string directory;
  std::optional<std::string> owner;  // user name or numeric uid; absent: the running user
  std::optional<std::string> group;  // group name or numeric gid; absent: the running group
  std::uint32_t key_mode = 0600;     // a subset of 0640 with owner read; group bits need `group`
  std::uint32_t certificate_mode = 0644;  // no execute bits, owner read required
  ReloadCommands reload;
  bool operator==(const InstallDeploy&) const = default;
};

/// Alnitak-compatible dane directory: <directory>/<lineage>/{cert,chain,fullchain,privkey}.pem
/// are relative symlinks to the certbot archive files of the deployed certificate. Needs a
/// `certbot` certificate source (checked by the parser).
struct SymlinkDeploy {
  std::string directory = "/etc/alnitak/dane";
  ReloadCommands reload;
  bool operator==(const SymlinkDeploy&) const = default;
};
using Deploy = std::variant<HookDeploy, InstallDeploy, SymlinkDeploy>;

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
  std::string publisher;          // a key of Config::publishers (checked)
  CertificateSource certificate;  // the primary: first in [[services.certificate]]
  /// Further certificates served side by side (dual RSA + ECDSA): their records join the same
  /// RRsets and all are deployed together, the primary first. Empty for a single certificate.
  std::vector<CertificateSource> additional_certificates;
  Deploy deploy;
  ProbeSettings probe;
  RolloverSettings rollover;  // the global [rollover] with this service's overrides applied
  bool operator==(const Service&) const = default;

  /// Every certificate source, the primary first.
  [[nodiscard]] std::vector<CertificateSource> certificateSources() const {
    std::vector<CertificateSource> sources{certificate};
    sources.insert(sources.end(), additional_certificates.begin(), additional_certificates.end());
    return sources;
  }
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
