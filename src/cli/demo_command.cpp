// `daneguard demo`: a complete, real rollover in well under a minute. It starts a throwaway
// DNSSEC-signed BIND primary and secondary on loopback (adapters/sandbox), makes a demo CA and
// certificates, and drives the production rollover (app::runRollover with RFC 2136 UPDATEs
// signed with TSIG, the SQLite state store, the deploy hook runner) through three events:
// first enablement, renewal with the same key, renewal with a new key. Every step is printed on
// a timeline with what each authoritative server serves, and the end shows that the certificate
// the hook installed matches the TLSA RRset in DNS. The only demo-specific parts are the short
// TTLs and timing knobs, and a clock and query wrapper that let Ctrl-C end a wait early.
//
// This is the composition root of the demo (it wires adapters), hence cli/ and not app/.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "adapters/certificates/pem_certificate_loader.hpp"
#include "adapters/clock/system_clock.hpp"
#include "adapters/dns/ldns_dns_query.hpp"
#include "adapters/files/atomic_file.hpp"
#include "adapters/files/lock_file.hpp"
#include "adapters/openssl/certificate_factory.hpp"
#include "adapters/openssl/pem_bundle.hpp"
#include "adapters/publishers/publisher_directory.hpp"
#include "adapters/sandbox/dns_sandbox.hpp"
#include "app/rollover_runner.hpp"
#include "cli/command.hpp"
#include "cli/deployer_factory.hpp"
#include "cli/state_store_factory.hpp"
#include "core/hex.hpp"
#include "core/tlsa/tlsa_compute.hpp"
#include "core/tlsa/tlsa_match.hpp"
#include "core/tlsa/tlsa_mnemonics.hpp"

namespace daneguard::cli {
namespace {

namespace fs = std::filesystem;
namespace ossl = adapters::openssl;
namespace sandbox = adapters::sandbox;
using namespace std::chrono_literals;
using std::chrono::days;
using std::chrono::seconds;

constexpr std::string_view kHost = "mail.example.test";
constexpr std::uint16_t kPort = 25;
constexpr std::string_view kOwner = "_25._tcp.mail.example.test.";
constexpr std::string_view kService = "mail";

// Short enough to finish in seconds, long enough that the negative-cache and TTL waits show.
constexpr std::uint32_t kRecordTtl = 2;
constexpr std::uint32_t kSoaTtl = 3;
constexpr std::uint32_t kSoaMinimum = 2;  // negative TTL = min(2, 3) = 2 s (RFC 2308)

// ---- Ctrl-C ------------------------------------------------------------------------------------

// Set by the handler, read by the waits: the only thing a signal handler may safely do.
std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void recordStopSignal(int signal_number) {
  g_stop_signal.store(signal_number);
}

/// SIGINT/SIGTERM set a flag instead of killing the process, so that the DNS sandbox's
/// destructor stops the servers and removes the directory. The previous handlers come back at
/// the end of the demo.
class StopSignalHandlers {
 public:
  StopSignalHandlers() {
    g_stop_signal.store(0);
    struct sigaction action {};
    action.sa_handler = recordStopSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: a blocking call returns early with EINTR
    sigaction(SIGINT, &action, &previous_int_);
    sigaction(SIGTERM, &action, &previous_term_);
  }
  ~StopSignalHandlers() {
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
  }
  StopSignalHandlers(const StopSignalHandlers&) = delete;
  StopSignalHandlers& operator=(const StopSignalHandlers&) = delete;

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

bool stopRequested() {
  return g_stop_signal.load() != 0;
}

/// The wall clock, sleeping in short slices so a stop signal ends a wait within 100 ms.
/// `before_sleep` lets the timeline print how long the runner is about to wait and why.
class InterruptibleClock final : public ports::Clock {
 public:
  std::function<void(std::chrono::sys_seconds)> before_sleep;

  std::chrono::sys_seconds now() override {
    return std::chrono::floor<seconds>(std::chrono::system_clock::now());
  }
  void sleepFor(seconds duration) override { sleepUntilPrecise(now() + duration, false); }
  void sleepUntil(std::chrono::sys_seconds instant) override { sleepUntilPrecise(instant, true); }
  void sleepUntilJustBefore(std::chrono::sys_seconds instant) override {
    if (before_sleep) before_sleep(instant);
    sleepUntilPrecise(
        adapters::clock::SystemClock::justBefore(instant, std::chrono::system_clock::now()), false);
  }

 private:
  void sleepUntilPrecise(std::chrono::system_clock::time_point instant, bool announce) {
    if (announce && before_sleep) before_sleep(std::chrono::floor<seconds>(instant));
    while (!stopRequested()) {
      const auto remaining = instant - std::chrono::system_clock::now();
      if (remaining <= std::chrono::system_clock::duration::zero()) return;
      std::this_thread::sleep_for(std::min<std::chrono::system_clock::duration>(remaining, 100ms));
    }
  }
};

/// The real query adapter, answering "interrupted" once a stop signal arrived: the runner
/// rediscovers the zone after every wait, so its next round fails and runRollover returns.
class InterruptibleQuery final : public ports::DnsQuery {
 public:
  explicit InterruptibleQuery(ports::DnsQuery& inner) : inner_(inner) {}
  using ports::DnsQuery::query;
  Result<ports::DnsAnswer> query(const ports::DnsQuestion& question) override {
    if (stopRequested()) return interrupted();
    return inner_.query(question);
  }
  std::vector<Result<ports::DnsAnswer>> queryAll(
      std::span<const ports::DnsQuestion> questions) override {
    if (!stopRequested()) return inner_.queryAll(questions);
    std::vector<Result<ports::DnsAnswer>> answers(questions.size(), interrupted());
    return answers;
  }

 private:
  static Result<ports::DnsAnswer> interrupted() {
    return fail(ErrorKind::Transient, "the demo was interrupted");
  }
  ports::DnsQuery& inner_;
};

// ---- certificates ------------------------------------------------------------------------------

struct DemoCa {
  ossl::GeneratedKey key;
  std::string certificate_pem;
};

Result<DemoCa> makeCa(std::chrono::sys_seconds now) {
  auto key = ossl::generateKey(KeyAlgorithm::EcdsaP256);
  if (!key) return fail(key.error());
  const ossl::CertificateRequest request{.common_name = "daneguard demo CA",
                                         .dns_names = {},
                                         .is_ca = true,
                                         .not_before = now - days(1),
                                         .not_after = now + days(365),
                                         .serial = 1};
  auto pem = ossl::issueCertificate(request, *key, *key);
  if (!pem) return fail(pem.error());
  return DemoCa{std::move(*key), std::move(*pem)};
}

/// One certificate the demo's "ACME client" issues: its bundle text and what identifies it.
struct DemoCertificate {
  int number = 0;      // #1, #2, #3 in the timeline
  int key_number = 0;  // key 1 or key 2
  std::string bundle;  // key + leaf + CA (the lego --pem layout)
  std::string id;      // app::certificateId: SHA-256 of the leaf
  TlsaRecord record;   // its 3 1 1 record
};

Result<DemoCertificate> issue(const DemoCa& ca, const ossl::GeneratedKey& key, int number,
                              int key_number, std::chrono::sys_seconds now) {
  const ossl::CertificateRequest request{.common_name = std::string(kHost),
                                         .dns_names = {std::string(kHost)},
                                         .is_ca = false,
                                         .not_before = now - days(1),
                                         .not_after = now + days(90),
                                         .serial = 100 + static_cast<std::uint64_t>(number)};
  auto leaf = ossl::issueCertificate(request, key, ca.key, ca.certificate_pem);
  if (!leaf) return fail(leaf.error());
  DemoCertificate made;
  made.number = number;
  made.key_number = key_number;
  made.bundle = std::string(key.private_key_pem.revealText()) + *leaf + ca.certificate_pem;
  auto loaded = ossl::loadPemBundleFromText(made.bundle, "demo certificate");
  if (!loaded) return fail(loaded.error());
  made.id = app::certificateId(loaded->chain);
  const auto records = computeTlsaRecords(loaded->chain, TlsaParameters{});
  if (records.size() != 1)
    return fail(ErrorKind::Internal, "expected one 3 1 1 record for a demo certificate");
  made.record = records.front();
  return made;
}

// ---- the timeline ------------------------------------------------------------------------------

/// Prints every step with the seconds elapsed since the demo started, names records and
/// certificates by the key and number the reader saw being made, and shows what each
/// authoritative server serves whenever DNS changed or the runner starts to wait.
class Timeline final : public app::RunEvents {
 public:
  Timeline(std::chrono::steady_clock::time_point start, ports::DnsQuery& query,
           const sandbox::DnsSandbox& dns, fs::path hook_log)
      : query_(query), dns_(dns), hook_log_(std::move(hook_log)), start_(start) {}

  void know(const DemoCertificate& certificate) { certificates_.push_back(certificate); }

  void heading(std::string_view text) {
    fmt::print("\n[{}] == {}\n", elapsed(), text);
    (void)std::fflush(stdout);
  }
  void step(std::string_view text) {
    fmt::print("[{}] {}\n", elapsed(), text);
    (void)std::fflush(stdout);
  }
  static void detail(std::string_view text) {
    fmt::print("          {}\n", text);
    (void)std::fflush(stdout);
  }

  void action(std::string_view /*service*/, std::string_view line) override {
    step(annotate(line));
    if (line.starts_with("published")) ++counts_.published;
    if (line.starts_with("retired")) ++counts_.retired;
    if (line.starts_with("deployed")) {
      ++counts_.deployed;
      if (const auto logged = lastHookLine()) detail("hook: " + *logged);
    } else {
      showServers();
    }
  }

  void log(app::LogLevel level, std::string_view service, std::string_view message) override {
    if (level == app::LogLevel::Debug) return;
    if (level == app::LogLevel::Info) {
      // "waiting until <instant> (<what>)": keep the reason for the line the clock prints.
      if (const auto open = message.find(" ("); message.starts_with("waiting until ") &&
                                                open != std::string_view::npos &&
                                                message.ends_with(")")) {
        wait_reason_ = std::string(message.substr(open + 2, message.size() - open - 3));
        return;
      }
      step(message);
      return;
    }
    fmt::print(stderr, "daneguard: {}: {}{}\n", app::logLevelName(level),
               service.empty() ? "" : fmt::format("[{}] ", service), message);
  }

  /// Called by the clock just before the runner sleeps until `due`.
  void announceWait(std::chrono::sys_seconds due) {
    const auto remaining = due - std::chrono::system_clock::now();
    const double secs = std::chrono::duration<double>(remaining).count();
    step(fmt::format("waiting {:.1f} s: {}", std::max(0.0, secs), annotate(wait_reason_)));
    showServers();
  }

  /// What every sandbox server serves at the owner name, asked directly (DnsQuery port).
  void showServers() {
    for (const std::string& line : serverLines())
      detail(line);
  }

  [[nodiscard]] std::vector<std::string> serverLines() {
    std::vector<ports::DnsQuestion> questions;
    for (const sandbox::SandboxServer& server : dns_.servers())
      questions.push_back({server.endpoint, std::string(kOwner), ports::DnsType::TLSA, false});
    const auto answers = query_.queryAll(questions);
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < questions.size() && i < answers.size(); ++i) {
      const sandbox::SandboxServer& server = dns_.servers()[i];
      const std::string label = fmt::format("{} ({})", server.name, server.endpoint.toString());
      lines.push_back(fmt::format("{:<34} {}", label, describeAnswer(answers[i])));
    }
    return lines;
  }

  struct Counts {
    int published = 0;
    int deployed = 0;
    int retired = 0;
  };
  Counts takeCounts() { return std::exchange(counts_, Counts{}); }

  [[nodiscard]] std::string elapsed() const {
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    return fmt::format("{:5.1f}s", secs);
  }
  [[nodiscard]] double elapsedSeconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  [[nodiscard]] std::string nameRecord(const TlsaRecord& record) const {
    for (const DemoCertificate& certificate : certificates_)
      if (certificate.record == record) return fmt::format("key {}", certificate.key_number);
    return "someone else's";
  }

  [[nodiscard]] const DemoCertificate* certificateById(std::string_view id) const {
    for (const DemoCertificate& certificate : certificates_)
      if (certificate.id == id) return &certificate;
    return nullptr;
  }

 private:
  /// Adds "(key N)" / "(certificate #N, key N)" to a runner line that names a record or id.
  [[nodiscard]] std::string annotate(std::string_view line) const {
    std::string out(line);
    std::vector<TlsaRecord> annotated;  // certificates sharing a key share its record
    for (const DemoCertificate& certificate : certificates_) {
      const std::string data = toHex(certificate.record.data).substr(0, 16);
      if (const auto at = out.find(data); at != std::string::npos) {
        if (std::find(annotated.begin(), annotated.end(), certificate.record) != annotated.end())
          continue;
        annotated.push_back(certificate.record);
        const auto end = out.find("...", at);
        const auto insert = end == std::string::npos ? at + data.size() : end + 3;
        out.insert(insert, fmt::format(" (key {})", certificate.key_number));
      } else if (const auto id_at = out.find(app::shortId(certificate.id));
                 id_at != std::string::npos) {
        out.insert(id_at + 16, fmt::format(" (certificate #{}, key {})", certificate.number,
                                           certificate.key_number));
      }
    }
    return out;
  }

  [[nodiscard]] std::string describeAnswer(const Result<ports::DnsAnswer>& answer) const {
    if (!answer) return "query failed: " + answer.error().message;
    const auto records = answer->recordsOf(kOwner, ports::DnsType::TLSA);
    if (records.empty()) {
      const std::string negative =
          answer->authority_soa
              ? fmt::format(", negative TTL {} s", answer->authority_soa->negativeTtl())
              : std::string();
      return fmt::format("no TLSA RRset ({}{})",
                         answer->rcode == ports::DnsRcode::NxDomain ? "NXDOMAIN" : "NODATA",
                         negative);
    }
    std::vector<std::string> parts;
    for (const ports::DnsRecord& record : records)
      if (const auto tlsa = record.asTlsa())
        parts.push_back(fmt::format("{} {}... ({})", tlsaParametersNumbers(tlsa->parameters),
                                    toHex(tlsa->data).substr(0, 16), nameRecord(*tlsa)));
    return fmt::format("{}; TTL {} s{}", fmt::join(parts, " + "), records.front().ttl,
                       answer->isSigned(kOwner, ports::DnsType::TLSA) ? ", signed" : "");
  }

  [[nodiscard]] std::optional<std::string> lastHookLine() const {
    std::ifstream in(hook_log_);
    std::string line;
    std::optional<std::string> last;
    while (std::getline(in, line))
      if (!line.empty()) last = line;
    return last;
  }

  ports::DnsQuery& query_;
  const sandbox::DnsSandbox& dns_;
  fs::path hook_log_;
  std::vector<DemoCertificate> certificates_;
  std::string wait_reason_ = "next step";
  Counts counts_;
  std::chrono::steady_clock::time_point start_;
};

// ---- the scenario ------------------------------------------------------------------------------

/// The demo's private directory; removed with everything in it however the demo ends. The
/// sandbox lives inside it and is destroyed first (declared later in runDemo).
class DemoDirectory {
 public:
  static Result<DemoDirectory> make() {
    std::string pattern = (fs::temp_directory_path() / "daneguard-demo-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr)
      return fail(
          ErrorKind::Transient,
          "cannot create a temporary directory under " + fs::temp_directory_path().string() +
              " for the demo: " + std::error_code(errno, std::generic_category()).message());
    return DemoDirectory(fs::path(pattern));
  }
  DemoDirectory(DemoDirectory&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  DemoDirectory& operator=(DemoDirectory&&) = delete;
  DemoDirectory(const DemoDirectory&) = delete;
  DemoDirectory& operator=(const DemoDirectory&) = delete;
  ~DemoDirectory() {
    if (path_.empty()) return;
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  explicit DemoDirectory(fs::path path) : path_(std::move(path)) {}
  fs::path path_;
};

// Installs what daneguard staged where the demo's "server" reads it, atomically, and logs it.
// Idempotent, as docs/hooks.md asks of every hook.
constexpr std::string_view kHookScript = R"sh(#!/bin/sh
# daneguard demo deploy hook: installs the staged certificate for the demo "server".
set -eu
demo=$(dirname "$0")
umask 077
cp "$DANEGUARD_KEY_FILE" "$demo/served/privkey.pem.new"
cp "$DANEGUARD_FULLCHAIN_FILE" "$demo/served/fullchain.pem.new"
mv -f "$demo/served/privkey.pem.new" "$demo/served/privkey.pem"
mv -f "$demo/served/fullchain.pem.new" "$demo/served/fullchain.pem"
id=$(printf '%.16s' "$DANEGUARD_CERTIFICATE_ID")
echo "$(date -u +%H:%M:%S) $(basename "$0") installed $id in served/ (a real hook reloads the server)" \
  >> "$demo/hook.log"
)sh";

config::Config demoConfig(const sandbox::DnsSandbox& dns, const fs::path& dir) {
  config::Config config;
  config.state_dir = (dir / "state").string();
  config::Rfc2136Publisher publisher;
  publisher.server = {dns.updateServer().host, dns.updateServer().port};
  publisher.tsig = config::TsigKeyFile{dns.updateKey().path.string()};
  config.publishers.emplace("sandbox", publisher);

  config::Service service;
  service.name = std::string(kService);
  service.hosts = {std::string(kHost)};
  service.ports = {kPort};
  service.ttl = kRecordTtl;
  service.publisher = "sandbox";
  service.certificate = config::PemBundleSource{(dir / "acme" / "mail.pem").string()};
  service.deploy = config::HookDeploy{{(dir / "deploy-hook.sh").string()}, 10s};
  service.probe.enabled = false;  // probing arrives with verification (issue 4)
  service.rollover.cache_factor = 2;
  service.rollover.margin = 1s;
  service.rollover.poll_interval = 1s;
  service.rollover.propagation_timeout = 20s;  // a stuck secondary ends the demo, not hangs it
  config.rollover = service.rollover;
  config.services.push_back(service);
  return config;
}

Result<void> writeDemoFiles(const fs::path& dir) {
  std::error_code error;
  for (const char* sub : {"acme", "served", "state"}) {
    fs::create_directory(dir / sub, error);
    if (error)
      return fail(ErrorKind::Transient,
                  "cannot create " + (dir / sub).string() + ": " + error.message());
    fs::permissions(dir / sub, fs::perms::owner_all, error);
  }
  return adapters::files::writeFileAtomically(dir / "deploy-hook.sh", kHookScript, 0700);
}

/// Everything the phases share.
struct Demo {
  const config::Config& config;
  app::RunnerPorts& ports;
  Timeline& timeline;
  fs::path dir;
};

/// The ACME client "renews": the new bundle replaces the file daneguard watches.
Result<void> renew(const Demo& demo, const DemoCertificate& certificate) {
  const fs::path file = demo.dir / "acme" / "mail.pem";
  if (auto written = adapters::files::writeFileAtomically(file, certificate.bundle, 0600); !written)
    return fail(written.error());
  demo.timeline.step(fmt::format("the ACME client wrote certificate #{} (key {}, id {}) to {}",
                                 certificate.number, certificate.key_number,
                                 app::shortId(certificate.id), file.string()));
  return {};
}

/// One `daneguard run --wait`, through the production runner and adapters.
Result<Timeline::Counts> rollover(const Demo& demo) {
  demo.timeline.step("daneguard run --wait");
  app::RunOptions options;
  options.mode = app::RunMode::Execute;
  options.wait = true;
  auto report = app::runRollover(demo.config, demo.ports, options);
  if (!report) return fail(std::move(report.error()));
  if (report->failure) return fail(*report->failure);
  demo.timeline.step("all services idle: the rollover is complete");
  return demo.timeline.takeCounts();
}

/// The end state: what DNS serves at every server, which certificate the "server" holds, and
/// whether a DANE client would accept the one with the other (core matchTlsaRecords).
Result<void> finalVerdict(const Demo& demo, const sandbox::DnsSandbox& dns, ports::DnsQuery& query,
                          const DemoCertificate& newest) {
  if (auto synced = dns.waitUntilInSync(5000ms); !synced) return fail(synced.error());
  demo.timeline.heading("end state");
  const fs::path served_file = demo.dir / "served" / "fullchain.pem";
  auto served = ossl::loadCertificateChain(served_file);
  if (!served) return fail(served.error());
  const std::string served_id = app::certificateId(*served);
  const DemoCertificate* known = demo.timeline.certificateById(served_id);
  demo.timeline.step(fmt::format("the server ({}) holds {}", served_file.string(),
                                 known
                                     ? fmt::format("certificate #{} (key {}, id {})", known->number,
                                                   known->key_number, app::shortId(served_id))
                                     : "an unknown certificate " + app::shortId(served_id)));
  demo.timeline.step("DNS serves:");
  demo.timeline.showServers();

  std::vector<ports::DnsQuestion> questions;
  for (const sandbox::SandboxServer& server : dns.servers())
    questions.push_back({server.endpoint, std::string(kOwner), ports::DnsType::TLSA, false});
  const auto answers = query.queryAll(questions);
  std::size_t matching = 0;
  for (std::size_t i = 0; i < questions.size(); ++i) {
    const sandbox::SandboxServer& server = dns.servers()[i];
    if (i >= answers.size() || !answers[i])
      return fail(ErrorKind::Transient,
                  "no answer from " + server.endpoint.toString() + ": " +
                      (i < answers.size() ? answers[i].error().message : std::string("missing")));
    const auto rrset = answers[i]->tlsaRecords(std::string(kOwner));
    const TlsaMatchReport report = matchTlsaRecords(*served, rrset);
    if (report.authenticates && report.all_combinations_match) ++matching;
    for (const TlsaRecordMatch& match : report.records)
      Timeline::detail(
          fmt::format("{}: {} ({}) {}", server.name, tlsaParametersNumbers(match.record.parameters),
                      demo.timeline.nameRecord(match.record),
                      match.status == TlsaRecordStatus::Matches
                          ? fmt::format("matches the served certificate at depth {}", *match.depth)
                          : "matches nothing served"));
  }
  if (matching == questions.size() && served_id == newest.id) {
    demo.timeline.step(fmt::format(
        "verdict: OK - the served certificate matches the published TLSA RRset on all {} "
        "authoritative servers",
        questions.size()));
    return {};
  }
  demo.timeline.step("verdict: MISMATCH - a DANE client would reject the served certificate");
  return fail(ErrorKind::VerificationFailed,
              "the served certificate " + app::shortId(served_id) +
                  " does not match the TLSA RRset of every server (or is not the newest)");
}

/// One event of the demo: the ACME client writes `certificate`, then `daneguard run --wait`
/// must do exactly the expected number of publishes, deploys and retirements.
struct Phase {
  std::string_view heading;
  const DemoCertificate& certificate;
  Timeline::Counts expected;
  std::string_view expectation;
};

Result<void> runPhase(const Demo& demo, const Phase& phase) {
  demo.timeline.heading(phase.heading);
  if (auto renewed = renew(demo, phase.certificate); !renewed) return renewed;
  if (phase.expected.published > 0 && phase.expected.retired == 0) {
    demo.timeline.step(fmt::format("DNS before the run ({}):", kOwner));
    demo.timeline.showServers();
  }
  const double started = demo.timeline.elapsedSeconds();
  auto counts = rollover(demo);
  if (!counts) return fail(std::move(counts.error()));
  if (stopRequested()) return fail(ErrorKind::Transient, "interrupted");
  const Timeline::Counts& got = *counts;
  const Timeline::Counts& want = phase.expected;
  if (got.published != want.published || got.deployed != want.deployed ||
      got.retired != want.retired)
    return fail(ErrorKind::Internal,
                fmt::format("the demo expected {} ({} published, {} deployed, {} retired) but "
                            "saw {}, {}, {}; please report this",
                            phase.expectation, want.published, want.deployed, want.retired,
                            got.published, got.deployed, got.retired));
  if (want.published == 0 && want.retired == 0)
    demo.timeline.step(fmt::format("no DNS change and no wait: deployed {:.1f} s after the renewal",
                                   demo.timeline.elapsedSeconds() - started));
  return {};
}

struct DemoCertificates {
  DemoCertificate first;    // key 1
  DemoCertificate reused;   // key 1 again
  DemoCertificate rekeyed;  // key 2
};

Result<DemoCertificates> makeCertificates(std::chrono::sys_seconds now) {
  auto ca = makeCa(now);
  if (!ca) return fail(ca.error());
  auto first_key = ossl::generateKey(KeyAlgorithm::EcdsaP256);
  if (!first_key) return fail(first_key.error());
  auto second_key = ossl::generateKey(KeyAlgorithm::EcdsaP256);
  if (!second_key) return fail(second_key.error());
  auto first = issue(*ca, *first_key, 1, 1, now);
  if (!first) return fail(first.error());
  auto reused = issue(*ca, *first_key, 2, 1, now);
  if (!reused) return fail(reused.error());
  auto rekeyed = issue(*ca, *second_key, 3, 2, now);
  if (!rekeyed) return fail(rekeyed.error());
  return DemoCertificates{std::move(*first), std::move(*reused), std::move(*rekeyed)};
}

Result<std::unique_ptr<sandbox::DnsSandbox>> startSandbox(const fs::path& dir) {
  sandbox::DnsSandboxOptions options = sandbox::DnsSandboxOptions::loopback(true);
  options.parent_directory = dir;  // removed with the demo's directory
  options.soa_ttl = kSoaTtl;
  options.soa_minimum = kSoaMinimum;
  return sandbox::DnsSandbox::start(options);
}

/// Everything from the temporary directory to the verdict; all of it is torn down (servers
/// stopped, directory removed) when this returns, however it returns.
Result<void> runScenario(std::chrono::steady_clock::time_point wall_start) {
  const auto now = std::chrono::floor<seconds>(std::chrono::system_clock::now());
  auto directory = DemoDirectory::make();
  if (!directory) return fail(directory.error());
  const fs::path& dir = directory->path();
  if (auto written = writeDemoFiles(dir); !written) return written;
  auto started = startSandbox(dir);
  if (!started) return fail(started.error());
  const std::unique_ptr<sandbox::DnsSandbox> dns = std::move(*started);
  if (stopRequested()) return fail(ErrorKind::Transient, "interrupted");

  adapters::dns::LdnsDnsQuery ldns_query({1000ms, 2, 16});
  InterruptibleQuery query(ldns_query);
  Timeline timeline(wall_start, query, *dns, dir / "hook.log");
  timeline.step(fmt::format("started BIND 9: zone {} signed with DNSSEC, in {}", dns->zone(),
                            dns->directory().string()));
  for (const sandbox::SandboxServer& server : dns->servers())
    Timeline::detail(fmt::format("{} {} ({})", server.is_primary ? "primary  " : "secondary",
                                 server.name, server.endpoint.toString()));
  auto made = makeCertificates(now);
  if (!made) return fail(made.error());
  for (const DemoCertificate* certificate : {&made->first, &made->reused, &made->rekeyed})
    timeline.know(*certificate);
  timeline.step(fmt::format("made a demo CA and ECDSA P-256 keys 1 and 2 for {}", kHost));

  // The same wiring as `daneguard run`, with the sandbox as the publisher.
  const config::Config config = demoConfig(*dns, dir);
  const fs::path state_dir(config.state_dir);
  auto lock = adapters::files::LockFile::acquire(state_dir / "daneguard.lock");
  if (!lock) return fail(lock.error());
  adapters::publishers::DirectoryOptions directory_options;
  directory_options.authority_port = dns->primary().endpoint.port;  // NS addresses use it too
  adapters::publishers::ConfiguredPublisherDirectory publishers(config, query,
                                                                std::move(directory_options));
  adapters::certificates::PemCertificateLoader certificates;
  auto store = openStateStore(state_dir);
  if (!store) return fail(store.error());
  const std::unique_ptr<ports::Deployer> deployer = makeDeployer(state_dir);
  InterruptibleClock clock;
  clock.before_sleep = [&timeline](std::chrono::sys_seconds due) { timeline.announceWait(due); };
  app::RunnerPorts ports{query, publishers, certificates, **store, *deployer, clock, timeline};
  const Demo demo{config, ports, timeline, dir};

  const std::array<Phase, 3> phases{{
      // No TLSA RRset yet: resolvers may cache its absence for the negative TTL, which the
      // new record must outlive before the certificate is deployed.
      {"1/3 first enablement: no TLSA record yet",
       made->first,
       {1, 1, 0},
       "one publish and one deploy in the first enablement"},
      // The published 3 1 1 record already matches: no DNS change, no wait.
      {"2/3 renewal with the same key: certificate #2 reuses key 1",
       made->reused,
       {0, 1, 0},
       "a deploy without any DNS change for a renewal with the same key"},
      // Publish next to the old record, wait for both servers and for every cached copy of
      // the old RRset to expire, deploy, then retire the old record.
      {"3/3 renewal with a new key: certificate #3 has key 2",
       made->rekeyed,
       {1, 1, 1},
       "publish, deploy and retire in the renewal with a new key"},
  }};
  for (const Phase& phase : phases)
    if (auto done = runPhase(demo, phase); !done) return done;
  if (auto verdict = finalVerdict(demo, *dns, query, made->rekeyed); !verdict) return verdict;
  fmt::print("\nstopping the servers and removing {}\n", dir.string());
  (void)std::fflush(stdout);
  return {};
}

Result<int> runDemo() {
  const StopSignalHandlers handlers;
  const auto wall_start = std::chrono::steady_clock::now();
  fmt::print(
      "daneguard demo: a complete DANE rollover against a real, DNSSEC-signed BIND primary and\n"
      "secondary on loopback, with the production code (RFC 2136 UPDATEs signed with TSIG,\n"
      "SQLite state, deploy hook). TTLs are {} s and the negative TTL {} s so it takes seconds.\n",
      kRecordTtl, std::min(kSoaTtl, kSoaMinimum));
  (void)std::fflush(stdout);
  auto finished = runScenario(wall_start);
  // Reported only now, when the servers are stopped and the directory is gone.
  if (const int signal_number = g_stop_signal.load(); signal_number != 0) {
    fmt::print(stderr,
               "daneguard: demo interrupted by signal {}; the servers are stopped and the "
               "temporary directory is removed\n",
               signal_number);
    return 128 + signal_number;
  }
  if (!finished) return fail(std::move(finished.error()));
  fmt::print("demo finished in {:.1f} s\n",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count());
  return 0;
}

}  // namespace

CommandAction registerDemoCommand(CLI::App& parent) {
  parent.add_subcommand("demo",
                        "A complete DANE rollover against a throwaway signed BIND on loopback "
                        "(needs bind9; about 15 s)");
  return [] { return runDemo(); };
}

}  // namespace daneguard::cli
