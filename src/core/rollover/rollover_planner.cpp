#include "core/rollover/rollover_planner.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <utility>

namespace daneguard {
namespace {

using Records = std::vector<TlsaRecord>;

bool contains(const Records& records, const TlsaRecord& record) {
  return std::ranges::find(records, record) != records.end();
}

void addUnique(Records& into, const Records& from) {
  for (const TlsaRecord& record : from)
    if (!contains(into, record)) into.push_back(record);
}

bool isSubset(const Records& part, const Records& whole) {
  return std::ranges::all_of(part, [&](const TlsaRecord& r) { return contains(whole, r); });
}

std::size_t countServed(const ServerAnswer& answer, const Records& records) {
  return static_cast<std::size_t>(
      std::ranges::count_if(records, [&](const TlsaRecord& r) { return answer.serves(r); }));
}

std::string seconds(Duration duration) {
  return fmt::format("{} s", duration.count());
}

/// What one owner looks like once this run's facts are merged into the recorded ones.
struct OwnerView {
  const OwnerState* state = nullptr;
  std::vector<RecordHistory> history;
  std::vector<const ServerAnswer*> failed;  // QueryFailed answers
  Records served_anywhere;

  /// Every configured server answered: only then may absence be concluded or records owned.
  [[nodiscard]] bool complete() const { return failed.empty() && !state->answers.empty(); }
};

/// The longest time a resolver may still hold an RRset version lacking the candidate, and why.
struct CacheExposure {
  Duration ttl{0};
  std::string because;
};

enum class Readiness { Ready, AwaitingCache, Lagging, Blocked };

struct OwnerReadiness {
  Readiness readiness = Readiness::Ready;
  Instant due{};
};

class ServicePlanner {
 public:
  ServicePlanner(const ServiceState& service, const RolloverPolicy& policy, Instant now,
                 std::vector<RolloverAction>& actions)
      : service_(service), policy_(policy), now_(now), actions_(actions) {
    plan_.service = service.name;
    addUnique(wanted_, service.deployed.records);
    addUnique(tracked_, service.candidate.records);
    if (service.next_key) addUnique(tracked_, service.next_key->records);
    addUnique(wanted_, tracked_);
  }

  ServicePlan run() {
    const std::size_t actions_before = actions_.size();
    for (const OwnerState& owner : service_.owners)
      views_.push_back(observe(owner));
    const bool published = publishMissing();
    if (service_.candidate.id != service_.deployed.id) {
      planDeploy(published);
    } else if (policy_.verify_after_deploy && service_.verified_id != service_.candidate.id) {
      planVerify();
    } else {
      planRetire(published);
    }
    if (actions_.size() > actions_before) plan_.due = now_;
    return std::move(plan_);
  }

 private:
  OwnerView observe(const OwnerState& owner) {
    OwnerView view{.state = &owner, .history = owner.history, .failed = {}, .served_anywhere = {}};
    for (const ServerAnswer& answer : owner.answers) {
      if (answer.kind == AnswerKind::QueryFailed) view.failed.push_back(&answer);
      addUnique(view.served_anywhere, answer.records);
    }
    for (const TlsaRecord& record : tracked_)
      recordFacts(view, record);
    return view;
  }

  /// Facts that only an observation can establish, recorded so that a later run (or a run after
  /// a crash) knows how long older versions may be cached and since when all servers agree.
  void recordFacts(OwnerView& view, const TlsaRecord& record) {
    const std::size_t lacking = recordLackingTtls(view, record);
    recordVisibility(view, record, lacking);
  }

  /// Merged into the view at once so that later checks in this run see the fact.
  void emitFact(OwnerView& view, const TlsaRecord& record, FactKind kind, Duration ttl) {
    // Instants are whole seconds, rounded down by the clock: an observation made at `now_`
    // happened somewhere in [now_, now_ + 1 s). "Every server serves it" is therefore dated at
    // the end of that second, so the cache window never starts before the observation did.
    const Instant at = kind == FactKind::VisibleSince ? now_ + Duration{1} : now_;
    RecordFact fact{service_.name, view.state->owner, record, kind, ttl, at};
    mergeRecordFact(view.history, fact);
    actions_.emplace_back(std::move(fact));
  }

  /// Records the TTL of each answer lacking `record` when it outlasts what is already known;
  /// returns how many servers lack it.
  std::size_t recordLackingTtls(OwnerView& view, const TlsaRecord& record) {
    std::size_t lacking = 0;
    for (const ServerAnswer& answer : view.state->answers) {
      if (answer.kind == AnswerKind::QueryFailed || answer.serves(record)) continue;
      ++lacking;
      const bool denial = answer.kind == AnswerKind::NoRrset;
      const Duration ttl = denial ? view.state->soa.negativeTtl() : answer.ttl;
      if (outlastsKnownTtl(findHistory(view.history, record), denial, ttl))
        emitFact(view, record, denial ? FactKind::SeenLackingNoRrset : FactKind::SeenLackingInRrset,
                 ttl);
    }
    return lacking;
  }

  static bool outlastsKnownTtl(const RecordHistory* known, bool denial, Duration ttl) {
    const auto& kept = known == nullptr ? std::nullopt
                       : denial         ? known->negative_ttl_without
                                        : known->longest_ttl_without;
    return !kept || *kept < ttl;
  }

  void recordVisibility(OwnerView& view, const TlsaRecord& record, std::size_t lacking) {
    const RecordHistory* known = findHistory(view.history, record);
    if (lacking == 0 && view.complete()) {
      // Emitted again when a server failed meanwhile: it clears that missing_since while the
      // first visible_since is kept.
      if (known == nullptr || !known->visible_since || known->missing_since)
        emitFact(view, record, FactKind::VisibleSince, Duration{0});
      return;
    }
    if (lacking > 0 && known != nullptr && known->visible_since)
      emitFact(view, record, FactKind::NoLongerVisible, Duration{0});
    // A server that does not answer cannot be shown to serve the record, so its silence counts
    // toward the propagation timeout too: a dead server ends in Blocked, never in an endless
    // wait. Looked up again: the fact just emitted may have changed the history.
    const RecordHistory* current = findHistory(view.history, record);
    if (current == nullptr || !current->missing_since)
      emitFact(view, record, FactKind::MissingSince, Duration{0});
  }

  bool publishMissing() {
    bool published = false;
    for (const OwnerView& view : views_) {
      Records missing;
      for (const TlsaRecord& record : wanted_)
        if (!contains(view.served_anywhere, record)) missing.push_back(record);
      if (missing.empty()) continue;
      if (!view.complete()) {
        // A server we cannot see may hold these records as someone else's: adding them now
        // could make daneguard claim (and later delete) records it does not own.
        plan_.reasons.push_back(
            fmt::format("not publishing at {} until every server answers", view.state->owner));
        continue;
      }
      actions_.emplace_back(
          PublishRecords{service_.name, view.state->owner, missing, policy_.record_ttl});
      plan_.reasons.push_back(fmt::format("publishing {} record(s) at {} next to the {} present",
                                          missing.size(), view.state->owner,
                                          view.served_anywhere.size()));
      published = true;
    }
    return published;
  }

  /// The probe authenticates against what the servers serve, so it waits until every server
  /// serves the candidate's records (they normally do: the deploy waited for that). Nothing is
  /// retired before it succeeds, and a failed probe is simply planned again by the next run.
  void planVerify() {
    std::size_t lagging = 0;
    for (const OwnerView& view : views_)
      lagging += reportLagging(view, service_.candidate.records, "");
    if (lagging > 0) {
      setPhase(Phase::Verifying, "verifying that the endpoints serve " + service_.candidate.id +
                                     " once every server serves its records");
      plan_.due = now_ + policy_.poll_interval;
      return;
    }
    actions_.emplace_back(Verify{service_.name, service_.candidate.id});
    setPhase(Phase::Verifying, "verifying that the endpoints serve " + service_.candidate.id);
  }

  void planDeploy(bool published) {
    const CertificateRecords& candidate = service_.candidate;
    if (service_.served_id == candidate.id) {
      // Installed by the operator, or by a hook whose success a crash kept from being recorded:
      // running the hook again changes nothing, so only the records are reconciled.
      actions_.emplace_back(Deploy{service_.name, candidate.id, true});
      setPhase(Phase::Deploying, "every endpoint already serves " + candidate.id +
                                     ": recording it as deployed without running the hook; "
                                     "its records are published and the old ones retired as usual");
      return;
    }
    if (!service_.deployed.records.empty() &&
        isSubset(service_.deployed.records, candidate.records)) {
      actions_.emplace_back(Deploy{service_.name, candidate.id});
      setPhase(Phase::Deploying, "deploying " + candidate.id +
                                     " at once: every record matching the deployed certificate "
                                     "also matches it (key reuse), so no DNS change or wait");
      return;
    }
    if (candidate.records.empty()) {
      setPhase(Phase::Blocked, "candidate " + candidate.id + " has no TLSA records to publish");
      return;
    }
    Readiness worst = Readiness::Ready;
    Instant due = now_;
    for (const OwnerView& view : views_) {
      const OwnerReadiness owner = candidateReadiness(view);
      worst = std::max(worst, owner.readiness);
      due = std::max(due, owner.due);
    }
    switch (worst) {
      case Readiness::Ready:
        actions_.emplace_back(Deploy{service_.name, candidate.id});
        setPhase(Phase::Deploying, "deploying " + candidate.id +
                                       ": its records are visible on "
                                       "every server and no resolver "
                                       "can hold an older RRset");
        return;
      case Readiness::AwaitingCache:
        plan_.phase = published ? Phase::Publishing : Phase::AwaitingCacheExpiry;
        plan_.due = due;
        return;
      case Readiness::Lagging:
        plan_.phase = published ? Phase::Publishing : Phase::AwaitingVisibility;
        plan_.due = now_ + policy_.poll_interval;
        return;
      case Readiness::Blocked:
        plan_.phase = Phase::Blocked;
        plan_.due = now_ + policy_.poll_interval;
        return;
    }
  }

  /// Lists servers that do not serve all of `records` at `view`, as reasons. Returns how many.
  std::size_t reportLagging(const OwnerView& view, const Records& records, std::string_view what) {
    std::size_t lagging = 0;
    for (const ServerAnswer& answer : view.state->answers) {
      if (answer.kind == AnswerKind::QueryFailed) {
        plan_.reasons.push_back(fmt::format("waiting for {}: its query for {} failed: {}",
                                            answer.server.describe(), view.state->owner,
                                            answer.failure));
        ++lagging;
        continue;
      }
      const std::size_t served = countServed(answer, records);
      if (served == records.size()) continue;
      plan_.reasons.push_back(
          fmt::format("waiting for {} to serve {}{}: it serves {} of {} records",
                      answer.server.describe(), what, view.state->owner, served, records.size()));
      ++lagging;
    }
    return lagging;
  }

  OwnerReadiness candidateReadiness(const OwnerView& view) {
    const Records& records = service_.candidate.records;
    if (view.state->answers.empty()) {
      plan_.reasons.push_back("no authoritative server is known for " + view.state->owner);
      return {Readiness::Blocked, now_};
    }
    if (reportLagging(view, records, "") > 0) return propagationTimeout(view);
    Instant since = Instant::min();
    for (const TlsaRecord& record : records)
      since = std::max(since, *findHistory(view.history, record)->visible_since);
    const CacheExposure exposure = cacheExposure(view);
    const Instant due = since + policy_.cache_factor * exposure.ttl + policy_.margin;
    if (now_ >= due) return {Readiness::Ready, due};
    plan_.reasons.push_back(fmt::format(
        "cache window for {}: {} {} x {} + {} margin, due {}", view.state->owner, exposure.because,
        seconds(exposure.ttl), policy_.cache_factor, seconds(policy_.margin), formatInstant(due)));
    return {Readiness::AwaitingCache, due};
  }

  OwnerReadiness propagationTimeout(const OwnerView& view) {
    std::optional<Instant> since;
    for (const TlsaRecord& record : service_.candidate.records) {
      const RecordHistory* history = findHistory(view.history, record);
      if (history != nullptr && history->missing_since)
        since = since ? std::min(*since, *history->missing_since) : *history->missing_since;
    }
    if (!since || now_ < *since + policy_.propagation_timeout) return {Readiness::Lagging, now_};
    plan_.reasons.push_back(fmt::format(
        "propagation timeout: the records for {} at {} have been missing on some server since "
        "{} (limit {}); nothing was removed, the old certificate stays deployed",
        service_.candidate.id, view.state->owner, formatInstant(*since),
        seconds(policy_.propagation_timeout)));
    return {Readiness::Blocked, now_};
  }

  /// The RRset's exposure plus, for an owner reached through a CNAME, the CNAME's TTL.
  CacheExposure cacheExposure(const OwnerView& view) const {
    CacheExposure exposure = rrsetExposure(view);
    if (view.state->cname_ttl > Duration{0}) {
      exposure.because = fmt::format("{} {} + CNAME TTL ({})", exposure.because,
                                     seconds(exposure.ttl), fmt::join(view.state->aliases, ", "));
      exposure.ttl += view.state->cname_ttl;
      exposure.because += " " + seconds(view.state->cname_ttl) + " =";
    }
    return exposure;
  }

  CacheExposure rrsetExposure(const OwnerView& view) const {
    CacheExposure exposure;
    bool rrset_before = false;
    bool known = false;
    for (const TlsaRecord& record : service_.candidate.records) {
      const RecordHistory* history = findHistory(view.history, record);
      known = known || history->exposureKnown();
      if (history->longest_ttl_without && *history->longest_ttl_without >= exposure.ttl) {
        exposure = {*history->longest_ttl_without, "old RRset TTL"};
        rrset_before = true;
      }
      if (history->negative_ttl_without && *history->negative_ttl_without > exposure.ttl)
        exposure = {*history->negative_ttl_without, "negative TTL (no TLSA RRset before)"};
    }
    Duration current{0};
    for (const ServerAnswer& answer : view.state->answers)
      current = std::max(current, answer.ttl);
    if (!known) {
      // Seen complete at the first observation: the previous version is unknown, so assume the
      // worse of "it had this TTL" and "there was no RRset".
      const Duration negative = view.state->soa.negativeTtl();
      return current >= negative
                 ? CacheExposure{current, "unknown history, assumed current RRset TTL"}
                 : CacheExposure{negative, "unknown history, assumed negative TTL"};
    }
    if (rrset_before && current > exposure.ttl) exposure = {current, "changed RRset TTL"};
    return exposure;
  }

  void planRetire(bool published) {
    bool retired = false;
    bool waiting = false;
    for (const OwnerView& view : views_) {
      Records retire;
      for (const TlsaRecord& record : view.state->owned)
        if (!contains(wanted_, record) && contains(view.served_anywhere, record))
          retire.push_back(record);
      if (retire.empty()) continue;
      if (!view.complete() || !keepsDeployedRecord(view, retire)) {
        waiting = true;
        plan_.reasons.push_back(fmt::format(
            "not retiring {} record(s) at {} until every server answers and serves a record "
            "matching {}",
            retire.size(), view.state->owner, service_.deployed.id));
        continue;
      }
      plan_.reasons.push_back(
          fmt::format("retiring {} owned record(s) at {} that match neither "
                      "{} nor a staged key",
                      retire.size(), view.state->owner, service_.deployed.id));
      actions_.emplace_back(RetireRecords{service_.name, view.state->owner, std::move(retire)});
      retired = true;
    }
    std::size_t lagging = 0;
    for (const OwnerView& view : views_)
      lagging += reportLagging(view, tracked_, "");
    if (retired) {
      plan_.phase = Phase::Retiring;
    } else if (published) {
      plan_.phase = Phase::Publishing;
    } else if (waiting || lagging > 0) {
      plan_.phase = waiting ? Phase::Retiring : Phase::AwaitingVisibility;
      plan_.due = now_ + policy_.poll_interval;
    } else {
      plan_.phase = Phase::Idle;
      plan_.reasons.push_back(service_.deployed.id + " is deployed and published everywhere");
    }
  }

  /// Never remove the last record matching what is deployed: every server that answers with an
  /// RRset must keep one after the removal.
  bool keepsDeployedRecord(const OwnerView& view, const Records& retire) const {
    return std::ranges::all_of(view.state->answers, [&](const ServerAnswer& answer) {
      return answer.kind != AnswerKind::Rrset ||
             std::ranges::any_of(answer.records, [&](const TlsaRecord& record) {
               return !contains(retire, record) && contains(service_.deployed.records, record);
             });
    });
  }

  void setPhase(Phase phase, std::string reason) {
    plan_.phase = phase;
    plan_.reasons.push_back(std::move(reason));
    if (phase == Phase::Blocked) plan_.due = now_ + policy_.poll_interval;
  }

  const ServiceState& service_;
  const RolloverPolicy& policy_;
  Instant now_;
  std::vector<RolloverAction>& actions_;
  Records wanted_;   // deployed + candidate + next key: what every owner should serve
  Records tracked_;  // candidate + next key: whose visibility gates a deploy
  std::vector<OwnerView> views_;
  ServicePlan plan_;
};

}  // namespace

RolloverPlan planRollover(const RolloverInput& input) {
  RolloverPlan plan;
  for (const ServiceState& service : input.services) {
    plan.services.push_back(ServicePlanner(service, input.policy, input.now, plan.actions).run());
    const auto& due = plan.services.back().due;
    if (due && (!plan.next_due || *due < *plan.next_due)) plan.next_due = due;
  }
  return plan;
}

std::string formatInstant(Instant instant) {
  const auto day = std::chrono::floor<std::chrono::days>(instant);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{instant - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count());
}

}  // namespace daneguard
