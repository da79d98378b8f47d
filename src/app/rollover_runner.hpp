// The shell around the pure rollover planner (core/rollover): observes every owner name at every
// authoritative server, loads the candidate certificate, plans, and executes the plan's actions
// exactly as rollover_plan.hpp demands, round after round until nothing is due now.
//
// Probing (docs/rollover.md "Verification"): for a service with an active probe configuration,
// every endpoint address is probed before a deploy (the candidate already served everywhere is
// recorded without running the hook) and after it; the Verify action fails the run, naming each
// failing endpoint, unless every one serves the candidate and authenticates against the RRset
// every authoritative server serves. Nothing is retired before that.
//
// Failure policy: a failed action stops the run at once (the old records and certificate stay;
// the next run derives its step again from DNS and the state store). A problem confined to one
// service (its certificate is refused, its zone cannot be observed, it is Blocked) is reported
// and the other services still proceed. An UPDATE whose outcome is unknown (Ambiguous) or whose
// prerequisite failed is never resent blindly: the next round observes again first.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "app/run_events.hpp"
#include "core/config/config.hpp"
#include "core/error.hpp"
#include "core/rollover/rollover_plan.hpp"
#include "ports/certificate_loader.hpp"
#include "ports/clock.hpp"
#include "ports/deployer.hpp"
#include "ports/dns_query.hpp"
#include "ports/host_addresses.hpp"
#include "ports/publisher_directory.hpp"
#include "ports/state_store.hpp"
#include "ports/tls_probe.hpp"

namespace daneguard::app {

struct RunnerPorts {
  ports::DnsQuery& query;
  ports::PublisherDirectory& publishers;
  ports::CertificateLoader& certificates;
  ports::StateStore& store;
  ports::Deployer& deployer;
  ports::Clock& clock;
  RunEvents& events;
  /// For services with an active [services.x.probe]: connect to every endpoint before a deploy
  /// (is the candidate served already?) and after it (Verify). Pointers, so that callers with
  /// no probing service need not provide them; a probing service without them is an error.
  ports::TlsProbe* probe = nullptr;
  ports::HostAddresses* addresses = nullptr;
};

/// Command-line overrides of the configured [rollover] timing (tests, impatient operators).
struct PolicyOverrides {
  std::optional<int> cache_factor;
  std::optional<std::chrono::seconds> margin;
  std::optional<std::chrono::seconds> poll_interval;
};

enum class RunMode {
  Execute,  // `run`: record facts, send UPDATEs, run hooks
  DryRun,   // `plan` / `status`: facts merged in memory only; no store write, UPDATE or hook
};

struct RunOptions {
  RunMode mode = RunMode::Execute;
  bool wait = false;                  // sleep until each next step until all services are idle
  int max_rounds = 8;                 // observe+plan+execute rounds per wake-up
  std::vector<std::string> services;  // empty: every configured service
  PolicyOverrides overrides;
  /// certbot deploy hook (`certbot-hook`): do what is due now (publish at once; deploy or retire
  /// only when the planner already allows it) and wait at most `visibility_budget` for new
  /// records to be served by every authoritative server, so the cache window is dated from the
  /// renewal. Never waits for a cache window: the scheduled `run` finishes the rollover.
  bool publish_only = false;
  std::chrono::seconds visibility_budget{30};
};

/// What one authoritative server serves at a service's owner names.
struct ServerRecordCount {
  std::string server;  // "ns2.example.test. (127.0.0.2:53)"
  std::size_t records = 0;
  std::size_t failed_queries = 0;
};

struct ServiceReport {
  std::string service;
  std::string deployed_id;   // empty: nothing deployed by daneguard yet
  std::string candidate_id;  // empty: the certificate could not be loaded or was refused
  bool planned = false;      // false: skipped (error set); phase and servers say nothing then
  Phase phase = Phase::Idle;
  std::vector<std::string> reasons;
  std::optional<std::chrono::sys_seconds> due;
  std::vector<ServerRecordCount> servers;
  std::optional<Error> error;  // refused certificate, observation failure, Blocked
};

struct RunReport {
  std::vector<ServiceReport> services;  // in configuration order
  std::size_t actions_done = 0;         // executed (Execute) or planned (DryRun), facts excluded
  std::optional<std::chrono::sys_seconds> next_due;
  /// The first error: a failed action (which stopped the run) or a service-level problem.
  std::optional<Error> failure;
};

/// Config error when a requested service name is not configured.
Result<RunReport> runRollover(const config::Config& config, RunnerPorts& ports,
                              const RunOptions& options);

/// Lower-case hex SHA-256 of the leaf DER: how certificates are identified in state and output.
std::string certificateId(const CertificateChain& chain);

/// The id of a service's certificates: certificateId of the leaf for one; for several (dual
/// RSA + ECDSA) the lower-case hex SHA-256 of their leaf ids, sorted and joined by newlines, so
/// that a change of any one of them is a new candidate.
std::string certificateId(std::span<const LoadedCertificate> certificates);

/// "a2c0f1e2d3c4b5a6": the first 16 hex digits, for one-line output.
std::string shortId(std::string_view id);

}  // namespace daneguard::app
