// The rollover shell: observe, plan, execute, repeat (see rollover_runner.hpp).
#include "app/rollover_runner.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <variant>

#include "core/digest.hpp"
#include "core/hex.hpp"
#include "core/rollover/rollover_planner.hpp"
#include "core/tls/starttls_protocol.hpp"
#include "core/tlsa/tlsa_compute.hpp"
#include "core/tlsa/tlsa_mnemonics.hpp"
#include "core/tlsa/tlsa_owner_name.hpp"
#include "core/tlsa/tlsa_presentation.hpp"

namespace daneguard::app {

std::string_view logLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warning:
      return "warning";
    case LogLevel::Error:
      return "error";
  }
  return "info";
}

std::string certificateId(const CertificateChain& chain) {
  return toHex(sha256(chain.leaf().der));
}

std::string certificateId(std::span<const LoadedCertificate> certificates) {
  if (certificates.size() == 1) return certificateId(certificates.front().chain);
  std::vector<std::string> leaf_ids;
  for (const LoadedCertificate& certificate : certificates)
    leaf_ids.push_back(certificateId(certificate.chain));
  std::ranges::sort(leaf_ids);  // the order of the sources in the file does not matter
  const std::string joined = fmt::format("{}", fmt::join(leaf_ids, "\n"));
  return toHex(
      sha256(ByteView(reinterpret_cast<const std::uint8_t*>(joined.data()), joined.size())));
}

std::string shortId(std::string_view id) {
  return std::string(id.substr(0, std::min<std::size_t>(id.size(), 16)));
}

namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

/// "3 1 1 a2c0f1e2d3c4...": records in action lines, short enough for one line.
std::string describeRecord(const TlsaRecord& record) {
  const std::string data = toHex(record.data);
  return fmt::format("{} {}", tlsaParametersNumbers(record.parameters),
                     data.size() > 16 ? data.substr(0, 16) + "..." : data);
}

std::string describeSource(const config::CertificateSource& source) {
  return std::visit(
      [](const auto& kind) -> std::string {
        using Kind = std::decay_t<decltype(kind)>;
        if constexpr (std::is_same_v<Kind, config::PemBundleSource>) {
          return "PEM bundle " + kind.path;
        } else if constexpr (std::is_same_v<Kind, config::SeparateFilesSource>) {
          return "key file " + kind.key;
        } else {
          return "certbot lineage '" + kind.lineage + "' in " + kind.config_dir;
        }
      },
      source);
}

/// One observed owner name: its zone, the zone's servers and what each of them serves.
struct OwnerObservation {
  std::string owner;
  std::string zone;
  SoaFacts soa;
  std::vector<ports::AuthoritativeServer> servers;
  std::vector<ServerAnswer> answers;  // parallel to servers
  std::optional<ServerAnswer> update_target_answer;
  bool queried = false;
  // CNAME'd owners (docs/rollover.md): `owner` is then the CNAME's target, where records are
  // published, and `aliases` the configured owners pointing at it.
  std::vector<std::string> aliases;
  seconds cname_ttl{0};
  std::vector<std::string> cname_targets;  // per server answering with a CNAME at `owner`
  std::uint32_t longest_cname_ttl = 0;
};

struct ServiceRound {
  const config::Service* service = nullptr;
  std::vector<std::string> owners;
  std::vector<LoadedCertificate> certificates;  // every source of the service, primary first
  CertificateRecords candidate;
  std::map<std::string, OwnerObservation, std::less<>> observations;
  std::optional<Error> error;  // the service is skipped this round
  ServicePlan plan;
};

ServerAnswer toServerAnswer(const ports::AuthoritativeServer& server, const std::string& owner,
                            const Result<ports::DnsAnswer>& result) {
  const AuthoritativeServer named{server.name, server.address.toString()};
  if (!result) return ServerAnswer::failed(named, result.error().message);
  const ports::DnsAnswer& answer = *result;
  if (answer.rcode != ports::DnsRcode::NoError && answer.rcode != ports::DnsRcode::NxDomain)
    return ServerAnswer::failed(named, "answered " + ports::rcodeName(answer.rcode));
  if (!answer.authoritative)
    return ServerAnswer::failed(named,
                                "answer without the AA bit: the server is not "
                                "authoritative for " +
                                    owner + " (lame delegation?)");
  const auto tlsa = answer.recordsOf(owner, ports::DnsType::TLSA);
  if (tlsa.empty()) {
    if (!answer.recordsOf(owner, ports::DnsType::CNAME).empty())
      return ServerAnswer::failed(named, owner + " is a CNAME; give the target owner instead");
    return ServerAnswer::noRrset(named);
  }
  std::uint32_t ttl = 0;
  for (const ports::DnsRecord& record : tlsa)
    ttl = std::max(ttl, record.ttl);  // RFC 2181 §5.2 forbids differing TTLs; assume the worst
  return ServerAnswer::rrset(named, answer.tlsaRecords(owner), seconds(ttl));
}

class Runner {
 public:
  Runner(const config::Config& config, RunnerPorts& ports, const RunOptions& options)
      : config_(config), ports_(ports), options_(options) {}

  Result<RunReport> run() {
    std::vector<const config::Service*> selected;
    for (const std::string& name : options_.services) {
      const config::Service* service = config_.findService(name);
      if (service == nullptr)
        return fail(ErrorKind::Config, "no service named '" + name + "' in the configuration");
      selected.push_back(service);
    }
    if (options_.services.empty())
      for (const config::Service& service : config_.services)
        selected.push_back(&service);

    RunReport report;
    const sys_seconds visibility_deadline = ports_.clock.now() + options_.visibility_budget;
    for (;;) {
      report = RunReport{};
      runRounds(selected, report);
      if (options_.publish_only) {
        if (!awaitingVisibilityOnly(report, visibility_deadline)) break;
        waitUntil(*report.next_due, report);
        zones_.clear();
        servers_.clear();
        continue;
      }
      if (!options_.wait || report.failure || !report.next_due) break;
      if (*report.next_due <= ports_.clock.now()) {
        ports_.clock.sleepFor(seconds(1));  // never spin when a step stays due without actions
      } else {
        waitUntil(*report.next_due, report);
      }
      zones_.clear();  // a wait may last hours: discover zones and servers afresh
      servers_.clear();
    }
    for (const ServiceReport& service : report.services)
      for (const std::string& reason : service.reasons)
        ports_.events.log(LogLevel::Debug, service.service,
                          std::string(phaseName(service.phase)) + ": " + reason);
    return report;
  }

 private:
  void runRounds(const std::vector<const config::Service*>& selected, RunReport& report) {
    for (int round = 1; round <= options_.max_rounds; ++round) {
      std::vector<ServiceRound> services = observe(selected);
      RolloverPlan combined = planAll(services);
      fillReport(services, combined, report);
      const bool immediate = !combined.actions.empty();
      if (!immediate) return;
      if (options_.mode == RunMode::DryRun) {
        if (!dryRun(services, combined, report)) return;
        continue;
      }
      const auto outcome = execute(services, combined, report);
      if (outcome == Outcome::Stop) return;
      if (outcome == Outcome::Reobserve && round == options_.max_rounds) {
        report.failure = last_unclear_;
        return;
      }
    }
    ports_.events.log(LogLevel::Warning, "",
                      fmt::format("actions were still due after {} rounds; the next run "
                                  "continues from here",
                                  options_.max_rounds));
  }

  /// publish_only: true while the next step is only to see just-published records served by
  /// every server, and that comes before `deadline`; a cache window is never waited out here.
  bool awaitingVisibilityOnly(const RunReport& report, sys_seconds deadline) const {
    if (options_.mode != RunMode::Execute || report.failure || !report.next_due ||
        *report.next_due > deadline)
      return false;
    for (const ServiceReport& service : report.services)
      if (service.due == report.next_due && service.phase != Phase::AwaitingVisibility)
        return false;
    return true;
  }

  /// True when every service due at `due` only waits to observe again (servers not serving yet),
  /// rather than for a deadline such as the end of a cache window, which must not come early.
  static bool onlyPollsAreDue(sys_seconds due, const RunReport& report) {
    bool any = false;
    for (const ServiceReport& service : report.services) {
      if (service.due != due) continue;
      any = true;
      if (service.phase != Phase::AwaitingVisibility && service.phase != Phase::Publishing &&
          service.phase != Phase::Blocked)
        return false;
    }
    return any;
  }

  void waitUntil(sys_seconds due, const RunReport& report) {
    std::string what = "next step";
    for (const ServiceReport& service : report.services)
      if (service.due == due && !service.reasons.empty())
        what = service.service + ": " + service.reasons.front();
    ports_.events.log(LogLevel::Info, "",
                      "waiting until " + formatInstant(due) + " (" + what + ")");
    if (!ports_.events.wantsWaitTicks()) {
      if (onlyPollsAreDue(due, report)) {
        ports_.clock.sleepUntilJustBefore(due);
      } else {
        ports_.clock.sleepUntil(due);
      }
      return;
    }
    for (sys_seconds now = ports_.clock.now(); now < due; now = ports_.clock.now()) {
      ports_.events.waitTick(due - now, what);
      ports_.clock.sleepFor(std::min<seconds>(seconds(1), due - now));
    }
    ports_.events.waitFinished();
  }

  // ---- observation -------------------------------------------------------------------------

  std::vector<ServiceRound> observe(const std::vector<const config::Service*>& selected) {
    const sys_seconds now = ports_.clock.now();
    std::vector<ServiceRound> services;
    for (const config::Service* service : selected) {
      ServiceRound& round = services.emplace_back();
      round.service = service;
      if (auto owners = ownerNames(*service)) {
        round.owners = std::move(*owners);
      } else {
        round.error = owners.error();
        continue;
      }
      loadCandidate(round, now);
      if (round.error) continue;
      discover(round);
    }
    queryEveryServer(services);
    return services;
  }

  static Result<std::vector<std::string>> ownerNames(const config::Service& service) {
    std::vector<std::string> owners;
    for (const std::string& host : service.hosts) {
      for (const std::uint16_t port : service.ports) {
        auto owner = tlsaOwnerName(port, config::transportProtocolName(service.protocol), host);
        if (!owner) return fail(owner.error());
        owners.push_back(owner->toString());
      }
    }
    return owners;
  }

  /// Every certificate of the service, primary first; private keys read only as `key` says.
  Result<std::vector<LoadedCertificate>> loadAll(const config::Service& service,
                                                 ports::CertificateLoader::PrivateKeyUse key) {
    std::vector<LoadedCertificate> loaded;
    for (const config::CertificateSource& source : service.certificateSources()) {
      auto one = ports_.certificates.load(source, key);
      if (!one)
        return fail(one.error().withContext("service " + service.name +
                                            ": cannot use the certificate from " +
                                            describeSource(source) +
                                            " (the deployed certificate and its records stay "
                                            "in place)"));
      loaded.push_back(std::move(*one));
    }
    return loaded;
  }

  /// The candidate's certificates; their private keys are read and checked against the leaves
  /// only when they differ from what is deployed (a rollover may publish or deploy them). In the
  /// steady state nothing reads any key, which is most of the cost of a run over many services.
  Result<std::vector<LoadedCertificate>> loadCertificates(const config::Service& service) {
    using PrivateKeyUse = ports::CertificateLoader::PrivateKeyUse;
    // plan and status open the state only after DNS answered (an unreachable server must not
    // create a state directory), so they always check the key.
    if (options_.mode == RunMode::DryRun) return loadAll(service, PrivateKeyUse::LoadAndCheck);
    auto observed = loadAll(service, PrivateKeyUse::Skip);
    if (!observed) return observed;
    auto stored = storedService(service.name);
    if (stored && stored->deployed.id == certificateId(*observed)) return observed;
    return loadAll(service, PrivateKeyUse::LoadAndCheck);
  }

  /// Refuses a candidate that must not be published or deployed: not valid now, not covering
  /// every host name, two certificates of one key type, or giving no record for a configured
  /// parameter set. The loader already refused keys not matching and chains not linking.
  void loadCandidate(ServiceRound& round, sys_seconds now) {
    const config::Service& service = *round.service;
    auto loaded = loadCertificates(service);
    if (!loaded) {
      round.error = loaded.error();
      return;
    }
    const std::vector<config::CertificateSource> sources = service.certificateSources();
    std::vector<TlsaRecord> records;
    for (std::size_t index = 0; index < loaded->size(); ++index) {
      const LoadedCertificate& certificate = (*loaded)[index];
      const CertificateFacts& leaf = certificate.chain.leaf();
      const auto refuse = [&](const std::string& why) {
        round.error =
            Error{ErrorKind::InvalidInput,
                  "service " + service.name + ": refusing the certificate from " +
                      describeSource(sources.at(index)) + " (" + leaf.subject + "): " + why +
                      "; the deployed certificate and its records stay in place"};
      };
      if (now < leaf.not_before)
        return refuse("not valid before " + formatInstant(leaf.not_before));
      if (now > leaf.not_after) return refuse("expired at " + formatInstant(leaf.not_after));
      for (const std::string& host : service.hosts)
        if (!leaf.coversHost(host))
          return refuse("it does not cover host " + host +
                        " (its names: " + fmt::format("{}", fmt::join(leaf.dns_names, ", ")) + ")");
      for (std::size_t earlier = 0; earlier < index; ++earlier)
        if (sameKeyType((*loaded)[earlier].key, certificate.key))
          return refuse("it has a " + certificate.key.description() +
                        " key like the certificate from " + describeSource(sources.at(earlier)) +
                        "; several certificates of one service must differ in key type");
      for (const TlsaParameters& parameters : service.records) {
        const auto computed = computeTlsaRecords(certificate.chain, parameters);
        if (computed.empty())
          return refuse("it gives no " + tlsaParametersNumbers(parameters) +
                        " record (a trust-anchor record needs the issuer certificate in the "
                        "chain)");
        for (const TlsaRecord& record : computed)
          if (std::find(records.begin(), records.end(), record) == records.end())
            records.push_back(record);
      }
    }
    round.candidate.id = certificateId(*loaded);
    round.candidate.records = std::move(records);
    round.certificates = std::move(*loaded);
  }

  /// RSA vs ECDSA is what dual certificates are for; two ECDSA curves count as one type (a
  /// server picks among them by signature algorithm, not by curve, and hooks name them ECDSA).
  static bool sameKeyType(const PublicKeyFacts& a, const PublicKeyFacts& b) {
    const auto family = [](KeyAlgorithm algorithm) {
      switch (algorithm) {
        case KeyAlgorithm::EcdsaP256:
        case KeyAlgorithm::EcdsaP384:
        case KeyAlgorithm::EcdsaP521:
          return KeyAlgorithm::EcdsaP256;
        default:
          return algorithm;
      }
    };
    return family(a.algorithm) == family(b.algorithm);
  }

  void discover(ServiceRound& round) {
    for (const std::string& owner : round.owners)
      if (auto prepared = prepareObservation(round, owner); !prepared) {
        round.error = prepared.error().withContext("service " + round.service->name);
        return;
      }
  }

  /// The zone of `owner` and its servers, as an observation still to be queried.
  Result<void> prepareObservation(ServiceRound& round, const std::string& owner) {
    const config::Service& service = *round.service;
    auto publisher = ports_.publishers.publisher(service.publisher);
    if (!publisher) return fail(publisher.error());
    auto zone = discoverZone(service.publisher, *publisher, owner);
    if (!zone) return fail(zone.error());
    auto servers = discoverServers(service.publisher, *publisher, zone->zone);
    if (!servers) return fail(servers.error());
    OwnerObservation& observation = round.observations[owner];
    observation.owner = owner;
    observation.zone = zone->zone;
    observation.soa = SoaFacts{seconds(zone->soa.minimum), seconds(zone->soa.ttl)};
    observation.servers = *servers;
    return {};
  }

  Result<ports::ZoneApex> discoverZone(const std::string& publisher_name,
                                       const ports::PublisherDns& publisher,
                                       const std::string& owner) {
    const std::string key = publisher_name + "\n" + owner;
    if (const auto found = zones_.find(key); found != zones_.end()) return found->second;
    auto zone = publisher.locator->discoverZone(owner);
    if (!zone) return zone;
    zones_.emplace(key, *zone);
    return zone;
  }

  Result<std::vector<ports::AuthoritativeServer>> discoverServers(
      const std::string& publisher_name, const ports::PublisherDns& publisher,
      const std::string& zone) {
    const std::string key = publisher_name + "\n" + zone;
    if (const auto found = servers_.find(key); found != servers_.end()) return found->second;
    auto servers = publisher.locator->authoritativeAddresses(zone);
    if (!servers) return servers;
    if (servers->empty())
      return fail(ErrorKind::Config, "no authoritative server found for zone " + zone);
    servers_.emplace(key, *servers);
    return servers;
  }

  /// One batch for every owner x server of every service: a dead server costs one timeout.
  /// Owners answered with a CNAME are then replaced by the CNAME's target, queried in a second
  /// batch (docs/rollover.md "CNAME'd TLSA owners").
  void queryEveryServer(std::vector<ServiceRound>& services) {
    queryPending(services);
    for (ServiceRound& round : services)
      if (!round.error) followCnames(round);
    queryPending(services);
    for (ServiceRound& round : services) {
      if (round.error) continue;
      for (const auto& [owner, observation] : round.observations)
        if (!observation.aliases.empty() && !observation.cname_targets.empty()) {
          round.error = Error{ErrorKind::Config,
                              "service " + round.service->name + ": " + observation.aliases[0] +
                                  " is a CNAME to " + owner +
                                  ", which is a CNAME again; "
                                  "daneguard follows one CNAME: point the alias at the owner "
                                  "of the TLSA RRset"};
          break;
        }
    }
  }

  void queryPending(std::vector<ServiceRound>& services) {
    std::vector<ports::DnsQuestion> questions;
    for (const ServiceRound& round : services) {
      if (round.error) continue;
      for (const auto& [owner, observation] : round.observations)
        if (!observation.queried)
          for (const ports::AuthoritativeServer& server : observation.servers)
            questions.push_back(ports::DnsQuestion{server.address, owner, ports::DnsType::TLSA});
    }
    if (questions.empty()) return;
    const auto answers = ports_.query.queryAll(questions);
    std::size_t next = 0;
    for (ServiceRound& round : services) {
      if (round.error) continue;
      auto publisher = ports_.publishers.publisher(round.service->publisher);
      for (auto& [owner, observation] : round.observations) {
        if (observation.queried) continue;
        observation.queried = true;
        for (const ports::AuthoritativeServer& server : observation.servers) {
          const Result<ports::DnsAnswer> missing =
              fail(ErrorKind::Internal, "no answer slot (adapter returned too few results)");
          const Result<ports::DnsAnswer>& result = next < answers.size() ? answers[next] : missing;
          ++next;
          if (result && result->authoritative)
            for (const ports::DnsRecord& cname : result->recordsOf(owner, ports::DnsType::CNAME)) {
              observation.cname_targets.push_back(cname.rdata_text);
              observation.longest_cname_ttl = std::max(observation.longest_cname_ttl, cname.ttl);
            }
          observation.answers.push_back(toServerAnswer(server, owner, result));
          if (publisher && server.address == publisher->update_target)
            observation.update_target_answer = observation.answers.back();
        }
      }
    }
  }

  /// Replaces each configured owner that every server answers with the same CNAME by an
  /// observation of the CNAME's target. Servers that disagree (a CNAME being added or removed
  /// right now) or fail stop the service for this round: where to publish is then unknown.
  void followCnames(ServiceRound& round) {
    std::vector<std::string> aliased;
    for (const auto& [owner, observation] : round.observations)
      if (!observation.cname_targets.empty()) aliased.push_back(owner);
    for (const std::string& alias : aliased) {
      const OwnerObservation seen = round.observations.at(alias);
      const std::string& target = seen.cname_targets.front();
      const bool agree = seen.cname_targets.size() == seen.servers.size() &&
                         std::ranges::all_of(seen.cname_targets,
                                             [&](const std::string& t) { return t == target; });
      if (!agree) {
        std::vector<std::string> views;
        for (const ServerAnswer& answer : seen.answers)
          views.push_back(answer.server.describe() + ": " +
                          (answer.kind == AnswerKind::QueryFailed ? answer.failure
                                                                  : "no CNAME or another one"));
        round.error = Error{ErrorKind::Transient, "service " + round.service->name +
                                                      ": not every server answers " + alias +
                                                      " with the CNAME to " + target + " (" +
                                                      fmt::format("{}", fmt::join(views, "; ")) +
                                                      "); nothing is published until they agree"};
        return;
      }
      round.observations.erase(alias);
      if (!round.observations.contains(target)) {
        if (auto prepared = prepareObservation(round, target); !prepared) {
          round.error = prepared.error().withContext("service " + round.service->name +
                                                     ": the target of the CNAME at " + alias);
          return;
        }
      }
      OwnerObservation& at_target = round.observations.at(target);
      at_target.aliases.push_back(alias);
      at_target.cname_ttl = std::max(at_target.cname_ttl, seconds(seen.longest_cname_ttl));
      // The planner sees each place records live once, in configuration order.
      for (std::string& owner : round.owners)
        if (owner == alias) owner = target;
      std::vector<std::string> unique;
      for (const std::string& owner : round.owners)
        if (std::ranges::find(unique, owner) == unique.end()) unique.push_back(owner);
      round.owners = std::move(unique);
      ports_.events.log(LogLevel::Debug, round.service->name,
                        alias + " is a CNAME to " + target + " (TTL " +
                            std::to_string(seen.longest_cname_ttl) +
                            " s): records are published at the target");
    }
  }

  // ---- planning ----------------------------------------------------------------------------

  RolloverPolicy policyFor(const config::Service& service) const {
    RolloverPolicy policy;
    policy.cache_factor =
        options_.overrides.cache_factor.value_or(static_cast<int>(service.rollover.cache_factor));
    policy.margin = options_.overrides.margin.value_or(service.rollover.margin);
    policy.poll_interval =
        options_.overrides.poll_interval.value_or(service.rollover.poll_interval);
    policy.propagation_timeout = service.rollover.propagation_timeout;
    policy.record_ttl = seconds(service.ttl);
    policy.verify_after_deploy = service.probe.active();
    return policy;
  }

  Result<ports::StoredService> storedService(const std::string& name) {
    if (options_.mode == RunMode::DryRun) {
      if (const auto found = dry_state_.find(name); found != dry_state_.end()) return found->second;
      auto loaded = ports_.store.loadService(name);
      if (!loaded) return loaded;
      dry_state_.emplace(name, *loaded);
      return loaded;
    }
    return ports_.store.loadService(name);
  }

  RolloverPlan planAll(std::vector<ServiceRound>& services) {
    RolloverPlan combined;
    const sys_seconds now = ports_.clock.now();
    for (ServiceRound& round : services) {
      if (round.error) continue;
      auto stored = storedService(round.service->name);
      if (!stored) {
        round.error = stored.error();
        continue;
      }
      ServiceState state;
      state.name = round.service->name;
      state.deployed = stored->deployed;
      state.candidate = round.candidate;
      state.verified_id = stored->verified_id;
      if (round.service->probe.active() && stored->deployed.id != round.candidate.id)
        state.served_id = servedEverywhere(round);
      for (const std::string& owner : round.owners) {
        const OwnerObservation& observation = round.observations.at(owner);
        OwnerState& owner_state = state.owners.emplace_back();
        owner_state.owner = owner;
        owner_state.soa = observation.soa;
        owner_state.answers = observation.answers;
        owner_state.aliases = observation.aliases;
        owner_state.cname_ttl = observation.cname_ttl;
        if (const auto owned = stored->owned.find(owner); owned != stored->owned.end())
          owner_state.owned = owned->second;
        if (const auto history = stored->history.find(owner); history != stored->history.end())
          owner_state.history = history->second;
      }
      deployed_ids_[state.name] = stored->deployed.id;
      RolloverPlan plan = planRollover(RolloverInput{{state}, policyFor(*round.service), now});
      round.plan = plan.services.front();
      for (RolloverAction& action : plan.actions)
        combined.actions.push_back(std::move(action));
      if (plan.next_due && (!combined.next_due || *plan.next_due < *combined.next_due))
        combined.next_due = plan.next_due;
    }
    return combined;
  }

  void fillReport(const std::vector<ServiceRound>& services, const RolloverPlan& plan,
                  RunReport& report) {
    report.services.clear();
    report.next_due = plan.next_due;
    for (const ServiceRound& round : services) {
      ServiceReport& entry = report.services.emplace_back();
      entry.service = round.service->name;
      entry.deployed_id = deployed_ids_[entry.service];
      entry.candidate_id = round.candidate.id;
      entry.error = round.error;
      if (round.error) {
        entry.phase = Phase::Blocked;
        entry.reasons.push_back(round.error->message);
        if (!report.failure) report.failure = round.error;
        continue;
      }
      entry.planned = true;
      entry.phase = round.plan.phase;
      entry.reasons = round.plan.reasons;
      entry.due = round.plan.due;
      std::map<std::string, ServerRecordCount> counts;
      for (const auto& [owner, observation] : round.observations) {
        for (const ServerAnswer& answer : observation.answers) {
          ServerRecordCount& count = counts[answer.server.describe()];
          count.server = answer.server.describe();
          count.records += answer.records.size();
          if (answer.kind == AnswerKind::QueryFailed) ++count.failed_queries;
        }
      }
      for (auto& [label, count] : counts)
        entry.servers.push_back(count);
      if (entry.phase == Phase::Blocked && options_.mode == RunMode::Execute) {
        Error blocked{ErrorKind::Transient, "service " + entry.service + " is blocked: " +
                                                fmt::format("{}", fmt::join(entry.reasons, "; ")) +
                                                "; nothing was removed"};
        entry.error = blocked;
        if (!report.failure) report.failure = blocked;
      }
    }
  }

  // ---- probing ------------------------------------------------------------------------------

  /// One endpoint address to probe, and the owner name whose RRset must authenticate it.
  struct ProbeCheck {
    ports::ProbeTarget target;
    std::string owner;
    std::string expected_id;  // certificateId of the leaf this key type must present
  };

  /// The signature algorithms to offer so that a server with several certificates presents
  /// the one of `key`'s type.
  static ports::ProbeKeyType probeKeyTypeFor(const PublicKeyFacts& key) {
    switch (key.algorithm) {
      case KeyAlgorithm::Rsa:
        return ports::ProbeKeyType::Rsa;
      case KeyAlgorithm::EcdsaP256:
      case KeyAlgorithm::EcdsaP384:
      case KeyAlgorithm::EcdsaP521:
        return ports::ProbeKeyType::Ecdsa;
      case KeyAlgorithm::Ed25519:
        return ports::ProbeKeyType::Ed25519;
      default:
        return ports::ProbeKeyType::Any;
    }
  }

  /// Every endpoint x address x owner of the service (configuration.md, "[services.probe]").
  Result<std::vector<ProbeCheck>> probeChecks(const ServiceRound& round) {
    const config::Service& service = *round.service;
    if (ports_.probe == nullptr || ports_.addresses == nullptr)
      return fail(ErrorKind::Internal,
                  "service " + service.name + " probes, but this command has no TLS prober");
    struct Endpoint {
      std::string host;
      std::uint16_t port = 0;
      std::vector<std::pair<std::string, std::string>> owners;  // owner name, SNI host
    };
    const auto ownerOf = [&](std::uint16_t port, const std::string& host) -> Result<std::string> {
      auto owner = tlsaOwnerName(port, config::transportProtocolName(service.protocol), host);
      if (!owner) return fail(owner.error());
      return owner->toString();
    };
    std::vector<Endpoint> endpoints;
    if (service.probe.endpoints.empty()) {
      for (const std::string& host : service.hosts)
        for (const std::uint16_t port : service.ports) {
          auto owner = ownerOf(port, host);
          if (!owner) return fail(owner.error());
          endpoints.push_back({host, port, {{*owner, host}}});
        }
    } else {
      for (const config::ServerAddress& address : service.probe.endpoints) {
        Endpoint& endpoint = endpoints.emplace_back(Endpoint{address.host, address.port, {}});
        const bool named = std::ranges::find(service.hosts, address.host) != service.hosts.end() &&
                           std::ranges::find(service.ports, address.port) != service.ports.end();
        // A service host and port stands for its own owner name; anything else (a backend, a
        // load balancer) serves every name of the service, so it must satisfy every RRset.
        for (const std::string& host : service.hosts)
          for (const std::uint16_t port : service.ports) {
            if (named && (host != address.host || port != address.port)) continue;
            auto owner = ownerOf(port, host);
            if (!owner) return fail(owner.error());
            endpoint.owners.emplace_back(*owner, host);
          }
      }
    }
    // One pass per certificate, asking for its key type: a server with RSA and ECDSA
    // certificates (a dual service) must present each of them, whichever it prefers.
    std::vector<std::pair<ports::ProbeKeyType, std::string>> expected;
    for (const LoadedCertificate& certificate : round.certificates)
      expected.emplace_back(probeKeyTypeFor(certificate.chain.leaf().public_key),
                            certificateId(certificate.chain));
    if (expected.empty()) expected.emplace_back(ports::ProbeKeyType::Any, round.candidate.id);
    std::vector<ProbeCheck> checks;
    for (const Endpoint& endpoint : endpoints) {
      const auto protocol = service.probe.starttls ? service.probe.starttls
                                                   : defaultStartTlsProtocolForPort(endpoint.port);
      if (!protocol)
        return fail(ErrorKind::Config,
                    fmt::format("service {}: port {} has no conventional protocol; set starttls "
                                "in [services.probe] (\"implicit\", \"smtp\", ...)",
                                service.name, endpoint.port));
      auto addresses = ports_.addresses->resolve(endpoint.host);
      if (!addresses) return fail(addresses.error().withContext("service " + service.name));
      for (const std::string& address : *addresses) {
        for (const auto& [owner, sni] : endpoint.owners)
          for (const auto& [key_type, expected_id] : expected) {
            ProbeCheck& check = checks.emplace_back();
            check.owner = owner;
            check.expected_id = expected_id;
            check.target.host = endpoint.host;
            check.target.address = address;
            check.target.port = endpoint.port;
            check.target.protocol = *protocol;
            check.target.sni = sni;
            check.target.ehlo_name = "localhost";
            check.target.key_type = key_type;
            check.target.timeout =
                std::chrono::duration_cast<std::chrono::milliseconds>(service.probe.timeout);
          }
      }
    }
    return checks;
  }

  /// The candidate id when every endpoint address already presents the candidate's leaf; a
  /// probe that fails only means "not known to be served", so the normal order applies.
  std::optional<std::string> servedEverywhere(const ServiceRound& round) {
    auto checks = probeChecks(round);
    if (!checks) {
      ports_.events.log(LogLevel::Warning, round.service->name,
                        "cannot probe before deploying: " + checks.error().message);
      return std::nullopt;
    }
    std::set<std::string> probed;
    for (const ProbeCheck& check : *checks) {
      const std::string probe_key =
          check.target.describe() + "/" + std::to_string(static_cast<int>(check.target.key_type));
      if (!probed.insert(probe_key).second) continue;  // one probe per address and key type
      auto result = ports_.probe->probe(check.target);
      if (!result) {
        ports_.events.log(LogLevel::Debug, round.service->name,
                          "before deploying: " + result.error().message);
        return std::nullopt;
      }
      if (result->presented.certificates.empty() ||
          certificateId(result->presented) != check.expected_id)
        return std::nullopt;
    }
    if (probed.empty()) return std::nullopt;
    ports_.events.log(LogLevel::Info, round.service->name,
                      fmt::format("every endpoint ({} address(es)) already serves {}",
                                  probed.size(), shortId(round.candidate.id)));
    return round.candidate.id;
  }

  /// Records every authoritative server serves at `owner`: whichever version a resolver holds,
  /// it contains these, so authenticating against them holds for every client.
  static std::vector<TlsaRecord> servedByEveryServer(const OwnerObservation& observation) {
    std::optional<std::vector<TlsaRecord>> common;
    for (const ServerAnswer& answer : observation.answers) {
      if (answer.kind == AnswerKind::QueryFailed) continue;
      if (!common) {
        common = answer.records;
        continue;
      }
      std::erase_if(*common, [&](const TlsaRecord& record) { return !answer.serves(record); });
    }
    return common.value_or(std::vector<TlsaRecord>{});
  }

  /// Every endpoint address must present the candidate's leaf and authenticate, as OpenSSL's
  /// DANE client decides, against the RRset every server now serves at its owner name.
  Result<void> verifyEndpoints(const ServiceRound& round) {
    const std::string& name = round.service->name;
    auto checks = probeChecks(round);
    if (!checks) return fail(checks.error());
    std::vector<std::string> failures;
    std::vector<std::string> confirmed;
    for (ProbeCheck& check : *checks) {
      const auto observation = round.observations.find(check.owner);
      if (observation != round.observations.end())
        check.target.tlsa = servedByEveryServer(observation->second);
      const std::string endpoint = check.target.describe();
      if (check.target.tlsa.empty()) {
        failures.push_back(endpoint + ": no TLSA record at " + check.owner +
                           " is served by every authoritative server");
        continue;
      }
      auto result = ports_.probe->probe(check.target);
      if (!result) {
        // The prober's errors usually name the endpoint already.
        const std::string& why = result.error().message;
        failures.push_back(why.rfind(endpoint, 0) == 0 ? why : endpoint + ": " + why);
        continue;
      }
      const std::string served = result->presented.certificates.empty()
                                     ? std::string("no certificate")
                                     : shortId(certificateId(result->presented));
      if (result->presented.certificates.empty() ||
          certificateId(result->presented) != check.expected_id) {
        failures.push_back(
            fmt::format("{}: serves {}, not the deployed {} (was the service "
                        "reloaded?)",
                        endpoint, served, shortId(check.expected_id)));
        continue;
      }
      if (!result->dane.authenticated) {
        failures.push_back(fmt::format(
            "{}: serves {} but a DANE client does not authenticate "
            "it with the {} record(s) at {}: {}",
            endpoint, served, check.target.tlsa.size(), check.owner, result->dane.reason));
        continue;
      }
      const std::string matched =
          result->dane.matched ? describeRecord(*result->dane.matched) : std::string("a record");
      ports_.events.log(LogLevel::Info, name,
                        fmt::format("{} ({}): {} authenticated by {} at depth {}", endpoint,
                                    check.owner, served, matched, result->dane.depth));
      confirmed.push_back(endpoint);
    }
    if (!failures.empty())
      return fail(ErrorKind::VerificationFailed,
                  fmt::format("service {}: verification of {} failed on {} of {} endpoint "
                              "check(s): {}; the old records stay, and the next run probes "
                              "again before retiring anything",
                              name, shortId(round.candidate.id), failures.size(), checks->size(),
                              fmt::join(failures, "; ")));
    if (checks->empty())
      return fail(ErrorKind::Config, "service " + name + ": no endpoint to probe");
    ports_.events.action(
        name, fmt::format("verified {} on {} endpoint check(s): {}", shortId(round.candidate.id),
                          confirmed.size(), fmt::join(confirmed, ", ")));
    return {};
  }

  // ---- dry run -----------------------------------------------------------------------------

  /// Merges facts in memory and lists what `run` would do. False when the listing is complete.
  bool dryRun(const std::vector<ServiceRound>& services, const RolloverPlan& plan,
              RunReport& report) {
    bool only_facts = true;
    for (const RolloverAction& action : plan.actions) {
      if (const auto* fact = std::get_if<RecordFact>(&action)) {
        mergeRecordFact(dry_state_[fact->service].history[fact->owner], *fact);
        continue;
      }
      only_facts = false;
      ++report.actions_done;
      const std::string service = serviceOf(action);
      ports_.events.action(service, "would " + describeAction(services, action));
    }
    return only_facts;
  }

  static std::string serviceOf(const RolloverAction& action) {
    return std::visit([](const auto& a) { return a.service; }, action);
  }

  /// What a change goes through: the UPDATE target of an RFC 2136 publisher; for any other
  /// kind (HTTP API, program, zone file) the publisher itself, since its dns_server is only
  /// read from and never receives the change.
  std::string changeChannel(std::string_view publisher_name, const ports::PublisherDns& dns) const {
    const auto found = config_.publishers.find(publisher_name);
    if (found == config_.publishers.end() ||
        std::holds_alternative<config::Rfc2136Publisher>(found->second))
      return dns.update_target.toString();
    return fmt::format("publisher '{}'", publisher_name);
  }

  std::string describeAction(const std::vector<ServiceRound>& services,
                             const RolloverAction& action) {
    const auto target = [&](const std::string& service_name) {
      for (const ServiceRound& round : services)
        if (round.service->name == service_name)
          if (auto publisher = ports_.publishers.publisher(round.service->publisher))
            return changeChannel(round.service->publisher, *publisher);
      return std::string("?");
    };
    if (const auto* publish = std::get_if<PublishRecords>(&action)) {
      std::vector<std::string> records;
      for (const TlsaRecord& record : publish->records)
        records.push_back(describeRecord(record));
      return fmt::format("publish {} at {} via {}", fmt::join(records, ", "), publish->owner,
                         target(publish->service));
    }
    if (const auto* retire = std::get_if<RetireRecords>(&action)) {
      std::vector<std::string> records;
      for (const TlsaRecord& record : retire->records)
        records.push_back(describeRecord(record));
      return fmt::format("retire {} at {} via {}", fmt::join(records, ", "), retire->owner,
                         target(retire->service));
    }
    if (const auto* deploy = std::get_if<Deploy>(&action); deploy && deploy->already_served)
      return "record " + shortId(deploy->candidate_id) + " as deployed for service " +
             deploy->service + " (every endpoint already serves it; no hook)";
    if (const auto* deploy = std::get_if<Deploy>(&action))
      return "deploy " + shortId(deploy->candidate_id) + " for service " + deploy->service;
    if (const auto* verify = std::get_if<Verify>(&action))
      return "verify " + shortId(verify->candidate_id) + " for service " + verify->service;
    return "record a fact";
  }

  // ---- execution ---------------------------------------------------------------------------

  enum class Outcome { Continue, Reobserve, Stop };

  /// A run of consecutive PublishRecords (or RetireRecords) for one zone: one UPDATE.
  struct UpdateGroup {
    std::string publisher;
    std::string zone;
    seconds ttl{0};
    std::vector<const PublishRecords*> publishes;
    std::vector<const RetireRecords*> retires;
  };

  ServiceRound* findRound(std::vector<ServiceRound>& services, const std::string& name) {
    for (ServiceRound& round : services)
      if (round.service->name == name) return &round;
    return nullptr;
  }

  Outcome execute(std::vector<ServiceRound>& services, const RolloverPlan& plan,
                  RunReport& report) {
    const auto& actions = plan.actions;
    for (std::size_t index = 0; index < actions.size();) {
      const RolloverAction& action = actions[index];
      if (const auto* fact = std::get_if<RecordFact>(&action)) {
        if (auto recorded = ports_.store.recordFact(*fact); !recorded)
          return stop(report, recorded.error());
        ++index;
        continue;
      }
      if (std::holds_alternative<PublishRecords>(action) ||
          std::holds_alternative<RetireRecords>(action)) {
        auto group = collectGroup(services, actions, index);
        if (!group) return stop(report, group.error());
        const Outcome outcome = std::get<0>(*group).publishes.empty()
                                    ? retireGroup(services, std::get<0>(*group), report)
                                    : publishGroup(services, std::get<0>(*group), report);
        if (outcome != Outcome::Continue) return outcome;
        index = std::get<1>(*group);
        continue;
      }
      if (const auto* deploy = std::get_if<Deploy>(&action); deploy && deploy->already_served) {
        ServiceRound* round = findRound(services, deploy->service);
        if (round == nullptr || round->candidate.id != deploy->candidate_id)
          return stop(report, Error{ErrorKind::Internal, "planned to record an unknown candidate " +
                                                             deploy->candidate_id});
        if (auto recorded =
                ports_.store.recordDeployed(deploy->service, round->candidate, ports_.clock.now());
            !recorded)
          return stop(report, recorded.error());
        ++report.actions_done;
        ports_.events.action(deploy->service,
                             "recorded " + shortId(deploy->candidate_id) +
                                 " as deployed: every endpoint already serves it (hook not run)");
        ++index;
        continue;
      }
      if (const auto* deploy = std::get_if<Deploy>(&action)) {
        ServiceRound* round = findRound(services, deploy->service);
        if (round == nullptr || round->certificates.empty() ||
            std::ranges::any_of(round->certificates,
                                [](const LoadedCertificate& c) { return !c.private_key_pem; }) ||
            round->candidate.id != deploy->candidate_id)
          return stop(report,
                      Error{ErrorKind::Internal,
                            "planned a deploy of an unknown candidate " + deploy->candidate_id});
        const ports::DeployRequest request{*round->service, round->certificates,
                                           deploy->candidate_id};
        if (auto deployed = ports_.deployer.deploy(request); !deployed)
          return stop(report, deployed.error().withContext(
                                  "deploying " + shortId(deploy->candidate_id) + " for service " +
                                  deploy->service + " (the old certificate stays)"));
        if (auto recorded =
                ports_.store.recordDeployed(deploy->service, round->candidate, ports_.clock.now());
            !recorded)
          return stop(report, recorded.error());
        ++report.actions_done;
        ports_.events.action(deploy->service, "deployed " + shortId(deploy->candidate_id) +
                                                  " for service " + deploy->service);
        ++index;
        continue;
      }
      if (const auto* verify = std::get_if<Verify>(&action)) {
        ServiceRound* round = findRound(services, verify->service);
        if (round == nullptr || round->candidate.id != verify->candidate_id)
          return stop(report, Error{ErrorKind::Internal, "planned to verify an unknown candidate " +
                                                             verify->candidate_id});
        if (auto verified = verifyEndpoints(*round); !verified)
          return stop(report, verified.error());
        if (auto recorded = ports_.store.recordVerified(verify->service, verify->candidate_id,
                                                        ports_.clock.now());
            !recorded)
          return stop(report, recorded.error());
        ++report.actions_done;
        ++index;
        continue;
      }
      ++index;
    }
    return Outcome::Continue;
  }

  Outcome stop(RunReport& report, Error error) {
    if (!report.failure) report.failure = std::move(error);
    return Outcome::Stop;
  }

  Result<std::pair<UpdateGroup, std::size_t>> collectGroup(
      std::vector<ServiceRound>& services, const std::vector<RolloverAction>& actions,
      std::size_t index) {
    UpdateGroup group;
    const bool publishing = std::holds_alternative<PublishRecords>(actions[index]);
    for (; index < actions.size(); ++index) {
      const auto* publish = std::get_if<PublishRecords>(&actions[index]);
      const auto* retire = std::get_if<RetireRecords>(&actions[index]);
      if (publishing ? publish == nullptr : retire == nullptr) break;
      const std::string& service_name = publishing ? publish->service : retire->service;
      const std::string& owner = publishing ? publish->owner : retire->owner;
      ServiceRound* round = findRound(services, service_name);
      if (round == nullptr || !round->observations.contains(owner))
        return fail(ErrorKind::Internal, "planned a change at unobserved owner " + owner);
      const std::string& zone = round->observations.find(owner)->second.zone;
      const seconds ttl = publishing ? publish->ttl : seconds(0);
      if (group.zone.empty()) {
        group.publisher = round->service->publisher;
        group.zone = zone;
        group.ttl = ttl;
      } else if (group.zone != zone || group.publisher != round->service->publisher ||
                 group.ttl != ttl) {
        break;
      }
      if (publishing)
        group.publishes.push_back(publish);
      else
        group.retires.push_back(retire);
    }
    return std::pair{std::move(group), index};
  }

  /// Ownership first, then one add-only UPDATE (crash-safe order, rollover_plan.hpp).
  Outcome publishGroup(std::vector<ServiceRound>& services, const UpdateGroup& group,
                       RunReport& report) {
    auto publisher = ports_.publishers.publisher(group.publisher);
    if (!publisher) return stop(report, publisher.error());
    auto updater = ports_.publishers.updater(group.publisher);
    if (!updater) return stop(report, updater.error());
    for (const PublishRecords* publish : group.publishes)
      if (auto owned =
              ports_.store.addOwnedRecords(publish->service, publish->owner, publish->records);
          !owned)
        return stop(report, owned.error());
    ports::UpdateRequest request;
    request.server = publisher->update_target;
    request.zone = group.zone;
    request.ttl_seconds = static_cast<std::uint32_t>(group.ttl.count());
    std::set<std::string> guarded;
    for (const PublishRecords* publish : group.publishes) {
      for (const TlsaRecord& record : publish->records)
        request.additions.push_back(ports::TlsaRecordAt{publish->owner, record});
      // Compare-and-swap against the primary's RRset as observed: the planner derived the
      // cache window from it, so a concurrent change must make us look again, not add blindly.
      const OwnerObservation& observation =
          findRound(services, publish->service)->observations.find(publish->owner)->second;
      if (observation.update_target_answer && guarded.insert(publish->owner).second) {
        const ServerAnswer& seen = *observation.update_target_answer;
        ports::UpdatePrerequisite prerequisite;
        prerequisite.owner = publish->owner;
        if (seen.kind == AnswerKind::Rrset) {
          prerequisite.kind = ports::UpdatePrerequisite::Kind::TlsaRrsetEquals;
          prerequisite.records = seen.records;
          request.prerequisites.push_back(prerequisite);
        } else if (seen.kind == AnswerKind::NoRrset) {
          prerequisite.kind = ports::UpdatePrerequisite::Kind::TlsaRrsetAbsent;
          request.prerequisites.push_back(prerequisite);
        }
      }
    }
    const auto applied = (*updater)->apply(request);
    if (!applied) return updateFailed(applied.error(), "publishing at zone " + group.zone, report);
    for (const PublishRecords* publish : group.publishes) {
      ++report.actions_done;
      for (const TlsaRecord& record : publish->records)
        ports_.events.action(publish->service, "published " + describeRecord(record) + " at " +
                                                   publish->owner + " via " +
                                                   changeChannel(group.publisher, *publisher));
    }
    return Outcome::Continue;
  }

  /// One UPDATE with record-level deletions, then ownership dropped.
  Outcome retireGroup(std::vector<ServiceRound>& /*services*/, const UpdateGroup& group,
                      RunReport& report) {
    auto publisher = ports_.publishers.publisher(group.publisher);
    if (!publisher) return stop(report, publisher.error());
    auto updater = ports_.publishers.updater(group.publisher);
    if (!updater) return stop(report, updater.error());
    ports::UpdateRequest request;
    request.server = publisher->update_target;
    request.zone = group.zone;
    for (const RetireRecords* retire : group.retires)
      for (const TlsaRecord& record : retire->records)
        request.deletions.push_back(ports::TlsaRecordAt{retire->owner, record});
    const auto applied = (*updater)->apply(request);
    if (!applied) return updateFailed(applied.error(), "retiring at zone " + group.zone, report);
    for (const RetireRecords* retire : group.retires) {
      if (auto dropped =
              ports_.store.removeOwnedRecords(retire->service, retire->owner, retire->records);
          !dropped)
        return stop(report, dropped.error());
      ++report.actions_done;
      for (const TlsaRecord& record : retire->records)
        ports_.events.action(retire->service, "retired " + describeRecord(record) + " at " +
                                                  retire->owner + " via " +
                                                  changeChannel(group.publisher, *publisher));
    }
    return Outcome::Continue;
  }

  Outcome updateFailed(const Error& error, const std::string& what, RunReport& report) {
    if (error.kind == ErrorKind::Ambiguous || error.kind == ErrorKind::PreconditionFailed) {
      ports_.events.log(LogLevel::Warning, "",
                        what + ": " + error.message + "; observing again before anything else");
      last_unclear_ = error;
      return Outcome::Reobserve;
    }
    return stop(report, error.withContext(what + " (the old records stay)"));
  }

  const config::Config& config_;
  RunnerPorts& ports_;
  const RunOptions& options_;
  std::map<std::string, ports::ZoneApex, std::less<>> zones_;
  std::map<std::string, std::vector<ports::AuthoritativeServer>, std::less<>> servers_;
  std::map<std::string, ports::StoredService, std::less<>> dry_state_;
  std::map<std::string, std::string, std::less<>> deployed_ids_;
  std::optional<Error> last_unclear_;
};

}  // namespace

Result<RunReport> runRollover(const config::Config& config, RunnerPorts& ports,
                              const RunOptions& options) {
  return Runner(config, ports, options).run();
}

}  // namespace daneguard::app
