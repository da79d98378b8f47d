// The two rollover benchmarks of docs/performance.md, run against real BIND 9 started by
// adapters::sandbox::DnsSandbox (the one implementation of "start a BIND"): a DNSSEC-signed
// primary on 127.0.0.1 and a secondary on ::1, on one free port. The daneguard binary under
// test is started as an operator would start it, so start-up, config parsing, SQLite and DNS
// are all in the figures.
//
//   rollover_bench steady-state  `daneguard run` over N owner names that are all rolled over
//                                already: wall time and peak RSS (wait4), median and max.
//   rollover_bench latency       renewals with `run --wait` and a 2 s TTL: how far the hook's
//                                time is from the policy bound visible + factor x TTL + margin,
//                                where "visible" is when dig (an oracle independent of
//                                daneguard's DNS code) first sees the new record at BOTH servers.
//
// Everything lives in one private temporary directory that is removed at the end; the servers
// are stopped by the sandbox's destructor (and by PR_SET_PDEATHSIG if this program dies).
#include <fmt/format.h>
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "adapters/openssl/certificate_factory.hpp"
#include "adapters/sandbox/dns_sandbox.hpp"
#include "measured_process.hpp"

#ifndef DANEGUARD_BINARY_PATH
#define DANEGUARD_BINARY_PATH "daneguard"
#endif

namespace daneguard::bench {
namespace {

namespace fs = std::filesystem;
namespace ossl = adapters::openssl;
namespace sandbox = adapters::sandbox;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;  // the hook's `date +%s.%N` reads the same clock

/// Private working directory holding config, state, certificates and the sandbox's directory;
/// removed with its contents when the benchmark ends (also on an error return).
class WorkDirectory {
 public:
  /// A new directory below `parent`; empty `parent` means $TMPDIR, else /tmp.
  static Result<WorkDirectory> make(fs::path parent) {
    if (parent.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      parent = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    }
    std::string pattern = parent / "daneguard-bench.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
      return fail(ErrorKind::Permission, "cannot create a directory like " + pattern);
    return WorkDirectory(pattern);
  }
  ~WorkDirectory() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  WorkDirectory(WorkDirectory&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  WorkDirectory& operator=(WorkDirectory&&) = delete;
  WorkDirectory(const WorkDirectory&) = delete;
  WorkDirectory& operator=(const WorkDirectory&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  explicit WorkDirectory(fs::path path) : path_(std::move(path)) {}
  fs::path path_;
};

Result<void> writeFile(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out.good()) return fail(ErrorKind::Permission, "cannot write " + path.string());
  out.close();
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  return {};
}

struct CertificateAuthority {
  ossl::GeneratedKey key;
  std::string pem;
};

Result<CertificateAuthority> makeAuthority(Clock::time_point now) {
  const auto today = std::chrono::floor<std::chrono::seconds>(now);
  auto key = ossl::generateKey(KeyAlgorithm::EcdsaP256);
  if (!key) return fail(std::move(key.error()));
  auto pem = ossl::issueCertificate({"daneguard bench CA",
                                     {},
                                     true,
                                     today - std::chrono::days(1),
                                     today + std::chrono::days(30),
                                     1},
                                    *key, *key);
  if (!pem) return fail(std::move(pem.error()));
  return CertificateAuthority{std::move(*key), std::move(*pem)};
}

/// A PEM bundle (key + leaf + CA) with a fresh P-256 key, as lego --pem writes it.
Result<std::string> makeBundle(const CertificateAuthority& ca,
                               const std::vector<std::string>& hosts, std::uint64_t serial,
                               Clock::time_point now) {
  const auto today = std::chrono::floor<std::chrono::seconds>(now);
  auto key = ossl::generateKey(KeyAlgorithm::EcdsaP256);
  if (!key) return fail(std::move(key.error()));
  auto leaf = ossl::issueCertificate({hosts.front(), hosts, false, today - std::chrono::days(1),
                                      today + std::chrono::days(20), serial},
                                     *key, ca.key, ca.pem);
  if (!leaf) return fail(std::move(leaf.error()));
  return std::string(key->private_key_pem.revealText()) + *leaf + ca.pem;
}

struct ServiceSpec {
  std::string name;
  std::vector<std::string> hosts;
  fs::path bundle;
  std::vector<std::string> hook;
};

std::string tomlString(std::string_view text) {
  return nlohmann::json(text).dump();
}

std::string tomlStringList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const std::string& item : items)
    out += (out.size() > 1 ? ", " : "") + tomlString(item);
  return out + "]";
}

std::string configToml(const sandbox::DnsSandbox& dns, const fs::path& state_dir,
                       const std::vector<ServiceSpec>& services, std::uint32_t ttl) {
  std::string toml = fmt::format(
      "state_dir = {}\n\n[publishers.primary]\ntype = \"rfc2136\"\nserver = {}\n"
      "tsig_key_file = {}\n",
      tomlString(state_dir.string()), tomlString(dns.updateServer().toString()),
      tomlString(dns.updateKey().path.string()));
  for (const ServiceSpec& service : services)
    toml += fmt::format(
        "\n[[services]]\nname = {}\nhosts = {}\nports = [443]\nttl = {}\npublisher = "
        "\"primary\"\ncertificate = {{ type = \"pem\", path = {} }}\ndeploy = {{ type = "
        "\"hook\", command = {} }}\n",
        tomlString(service.name), tomlStringList(service.hosts), ttl,
        tomlString(service.bundle.string()), tomlStringList(service.hook));
  return toml;
}

/// `daneguard COMMAND -c CONFIG --authority-port PORT`: the sandbox's NS glue points at its
/// loopback port, not 53.
std::vector<std::string> daneguardCommand(const std::string& daneguard, std::string_view command,
                                          const fs::path& config, const sandbox::DnsSandbox& dns) {
  return {daneguard,       std::string(command), "-c",
          config.string(), "--authority-port",   std::to_string(dns.primary().endpoint.port)};
}

std::string tail(const std::string& text, std::size_t bytes = 2000) {
  return text.size() <= bytes ? text : "..." + text.substr(text.size() - bytes);
}

Error commandFailed(std::string_view what, const ProcessOutcome& outcome,
                    const fs::path& stderr_file) {
  return Error{ErrorKind::Transient,
               fmt::format("{} exited with status {}; its stderr ends:\n{}", what,
                           outcome.exit_status, tail(readTextFile(stderr_file)))};
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double maximum(const std::vector<double>& values) {
  return *std::max_element(values.begin(), values.end());
}

double secondsOf(std::chrono::nanoseconds duration) {
  return std::chrono::duration<double>(duration).count();
}

double epochSeconds(Clock::time_point at) {
  return secondsOf(at.time_since_epoch());
}

Result<std::unique_ptr<sandbox::DnsSandbox>> startBind(const fs::path& parent,
                                                       std::uint32_t negative_ttl) {
  sandbox::DnsSandboxOptions options = sandbox::DnsSandboxOptions::loopback(true);
  options.parent_directory = parent;
  options.soa_ttl = negative_ttl;  // negative TTL = min(SOA TTL, MINIMUM), RFC 2308
  options.soa_minimum = negative_ttl;
  return sandbox::DnsSandbox::start(options);
}

// ---------------------------------------------------------------------------------------------
// (a) steady state

struct SteadyOptions {
  std::string daneguard;
  fs::path scratch;
  int services = 500;
  int hosts_per_service = 2;
  int repetitions = 5;
};

/// Checks with `status --json` that every service is Idle with its candidate deployed and that
/// both servers serve exactly one record per owner name: the measured runs then only observe.
Result<void> checkSteadyState(const std::string& status_json, const SteadyOptions& options) {
  const auto document = nlohmann::json::parse(status_json, nullptr, false);
  if (document.is_discarded() || !document.contains("services"))
    return fail(ErrorKind::ProtocolViolation, "`status --json` printed no JSON document");
  const auto& services = document["services"];
  if (services.size() != static_cast<std::size_t>(options.services))
    return fail(ErrorKind::VerificationFailed, fmt::format("status lists {} services, expected {}",
                                                           services.size(), options.services));
  for (const auto& service : services) {
    const std::string name = service.value("service", "");
    if (service.value("phase", "") != "Idle" || service["deployed_id"].get<std::string>().empty() ||
        service["deployed_id"] != service["candidate_id"])
      return fail(ErrorKind::VerificationFailed,
                  fmt::format("service {} is not rolled over: {}", name, service.dump()));
    if (service["servers"].size() != 2)
      return fail(ErrorKind::VerificationFailed,
                  fmt::format("service {} is served by {} servers, expected 2", name,
                              service["servers"].size()));
    for (const auto& server : service["servers"])
      if (server["records"] != options.hosts_per_service || server["failed_queries"] != 0)
        return fail(
            ErrorKind::VerificationFailed,
            fmt::format("service {}: {} serves {}", name, server["server"].dump(), server.dump()));
  }
  return {};
}

Result<void> steadyState(const SteadyOptions& options) {
  auto work = WorkDirectory::make(options.scratch);
  if (!work) return fail(std::move(work.error()));
  const fs::path dir = work->path();
  // Negative TTL and record TTL of 1 s: setting up (first enablement of every service) then
  // takes seconds; the measured runs do not depend on either.
  auto dns = startBind(dir, 1);
  if (!dns) return fail(std::move(dns.error()));
  const auto setup_started = std::chrono::steady_clock::now();

  auto ca = makeAuthority(Clock::now());
  if (!ca) return fail(std::move(ca.error()));
  std::vector<ServiceSpec> services;
  int host_number = 0;
  for (int index = 1; index <= options.services; ++index) {
    ServiceSpec service{
        fmt::format("s{:04}", index), {}, dir / fmt::format("s{:04}.pem", index), {"/bin/true"}};
    for (int host = 0; host < options.hosts_per_service; ++host)
      service.hosts.push_back(fmt::format("h{:04}.example.test", ++host_number));
    auto bundle = makeBundle(*ca, service.hosts, 1000 + index, Clock::now());
    if (!bundle) return fail(std::move(bundle.error()));
    if (auto written = writeFile(service.bundle, *bundle); !written) return written;
    services.push_back(std::move(service));
  }
  const fs::path config = dir / "daneguard.toml";
  if (auto written = writeFile(config, configToml(**dns, dir / "state", services, 1)); !written)
    return written;

  // Reaching steady state: daneguard itself publishes every record, waits factor 1 x 1 s, runs
  // every hook and records it. Minutes on a slow disk (fsync per service), seconds on tmpfs.
  std::vector<std::string> setup = daneguardCommand(options.daneguard, "run", config, **dns);
  setup.insert(setup.end(),
               {"--wait", "-q", "--poll-interval", "1", "--cache-factor", "1", "--margin", "0"});
  auto setup_run = BackgroundProcess::start(setup, dir / "setup.out", dir / "setup.err");
  if (!setup_run) return fail(std::move(setup_run.error()));
  auto setup_outcome = setup_run->waitAtMost(600s);
  if (!setup_outcome) return fail(std::move(setup_outcome.error()));
  if (setup_outcome->exit_status != 0)
    return fail(commandFailed("setup `daneguard run --wait`", *setup_outcome, dir / "setup.err"));
  std::vector<std::string> status_json =
      daneguardCommand(options.daneguard, "status", config, **dns);
  status_json.push_back("--json");
  auto status_run = runMeasured(status_json, dir / "status.json", dir / "status.err");
  if (!status_run) return fail(std::move(status_run.error()));
  if (status_run->exit_status != 0)
    return fail(commandFailed("`daneguard status --json`", *status_run, dir / "status.err"));
  if (auto steady = checkSteadyState(readTextFile(dir / "status.json"), options); !steady)
    return steady;
  fmt::print(
      "setup: {} services x {} hosts x port 443 = {} owner names, {} servers, one P-256 "
      "certificate per service; rolled over in {:.1f} s (setup run {:.1f} s)\n",
      options.services, options.hosts_per_service, options.services * options.hosts_per_service,
      (*dns)->servers().size(), secondsOf(std::chrono::steady_clock::now() - setup_started),
      secondsOf(setup_outcome->wall));

  // One unmeasured run first (page cache, SQLite file), then the measured ones.
  const std::vector<std::string> run = daneguardCommand(options.daneguard, "run", config, **dns);
  std::vector<double> walls;
  std::vector<double> rss_mib;
  std::vector<double> cpus;
  for (int repetition = 0; repetition <= options.repetitions; ++repetition) {
    auto outcome = runMeasured(run, dir / "run.out", dir / "run.err");
    if (!outcome) return fail(std::move(outcome.error()));
    if (outcome->exit_status != 0)
      return fail(commandFailed("steady-state `daneguard run`", *outcome, dir / "run.err"));
    // "Silent when nothing happened": anything on stdout means it was not steady state.
    if (const std::string printed = readTextFile(dir / "run.out"); !printed.empty())
      return fail(ErrorKind::VerificationFailed,
                  "steady-state `daneguard run` did something:\n" + tail(printed));
    if (repetition == 0) continue;
    walls.push_back(secondsOf(outcome->wall));
    rss_mib.push_back(static_cast<double>(outcome->max_rss_kib) / 1024.0);
    cpus.push_back(secondsOf(outcome->cpu));
    fmt::print("run {}: wall {:.3f} s, CPU (user+sys) {:.3f} s, peak RSS {:.1f} MiB\n", repetition,
               walls.back(), cpus.back(), rss_mib.back());
  }
  const bool time_met = maximum(walls) < 2.0;
  const bool memory_met = maximum(rss_mib) * 1.048576 < 50.0;  // the target is in MB (10^6)
  fmt::print(
      "steady-state run over {} owner names ({} runs): wall median {:.3f} s, max {:.3f} s "
      "(target < 2 s: {}); CPU median {:.3f} s; peak RSS median {:.1f} MiB, max {:.1f} MiB "
      "(target < 50 MB: {})\n",
      options.services * options.hosts_per_service, walls.size(), median(walls), maximum(walls),
      time_met ? "met" : "MISSED", median(cpus), median(rss_mib), maximum(rss_mib),
      memory_met ? "met" : "MISSED");
  return {};
}

// ---------------------------------------------------------------------------------------------
// (b) rollover latency

struct LatencyOptions {
  std::string daneguard;
  fs::path scratch;
  int rollovers = 6;
  int ttl = 2;
  int cache_factor = 2;
  int margin = 1;
  int poll_interval = 1;
};

/// The TLSA rdata `dig` sees at `server`, normalised ("3 1 1 <lower-case hex>").
Result<std::set<std::string>> digTlsa(const ports::DnsServer& server, const std::string& owner) {
  auto output = captureOutput({"dig", "+norec", "+short", "+time=1", "+tries=1", "-p",
                               std::to_string(server.port), "@" + server.host, owner, "TLSA"});
  if (!output) return fail(std::move(output.error()));
  std::set<std::string> records;
  std::size_t start = 0;
  while (start < output->size()) {
    std::size_t end = output->find('\n', start);
    if (end == std::string::npos) end = output->size();
    std::string line = output->substr(start, end - start);
    start = end + 1;
    if (line.size() < 7) continue;
    // "3 1 1 ABCD... EF01...": dig splits long hex with spaces.
    std::string hex;
    for (char c : line.substr(6))
      if (c != ' ') hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    records.insert(line.substr(0, 6) + hex);
  }
  return records;
}

struct RolloverTiming {
  std::string kind;
  double started = 0;            // epoch seconds: `run --wait` started
  double visible_last_miss = 0;  // latest question some server answered without it
  double visible = 0;            // answer by which both servers served the new record
  double hook = 0;               // the hook's own timestamp
  double bound = 0;              // visible + factor x TTL + margin
};

Result<RolloverTiming> oneRollover(const LatencyOptions& options, const sandbox::DnsSandbox& dns,
                                   const fs::path& dir, const fs::path& config,
                                   const std::string& owner, const fs::path& stamps,
                                   std::size_t previous_hooks) {
  std::set<std::string> before;
  for (const sandbox::SandboxServer& server : dns.servers()) {
    auto served = digTlsa(server.endpoint, owner);
    if (!served) return fail(std::move(served.error()));
    before.insert(served->begin(), served->end());
  }
  std::vector<std::string> command = daneguardCommand(options.daneguard, "run", config, dns);
  command.insert(
      command.end(),
      {"--wait", "-q", "--poll-interval", std::to_string(options.poll_interval), "--cache-factor",
       std::to_string(options.cache_factor), "--margin", std::to_string(options.margin)});
  RolloverTiming timing;
  timing.kind = before.empty() ? "first enablement" : "renewal, new key";
  timing.started = epochSeconds(Clock::now());
  auto run = BackgroundProcess::start(command, dir / "latency.out", dir / "latency.err");
  if (!run) return fail(std::move(run.error()));

  std::vector<std::optional<double>> first_seen(dns.servers().size());
  double last_miss = timing.started;
  const auto give_up = std::chrono::steady_clock::now() + 60s;
  while (std::any_of(first_seen.begin(), first_seen.end(), [](auto& seen) { return !seen; })) {
    if (run->finished() || std::chrono::steady_clock::now() > give_up) break;
    for (std::size_t index = 0; index < first_seen.size(); ++index) {
      if (first_seen[index]) continue;
      // A hit proves visibility no later than the answer's arrival, a miss proves absence no
      // earlier than the question: the true instant lies between the two bounds.
      const double asked = epochSeconds(Clock::now());
      auto served = digTlsa(dns.servers()[index].endpoint, owner);
      const double answered = epochSeconds(Clock::now());
      if (!served) continue;  // no answer says nothing either way
      if (std::any_of(served->begin(), served->end(),
                      [&](const std::string& rdata) { return !before.contains(rdata); }))
        first_seen[index] = answered;
      else
        last_miss = std::max(last_miss, asked);
    }
    std::this_thread::sleep_for(20ms);
  }
  auto outcome = run->waitAtMost(60s);
  if (!outcome) return fail(std::move(outcome.error()));
  if (outcome->exit_status != 0)
    return fail(commandFailed("`daneguard run --wait`", *outcome, dir / "latency.err"));
  for (const auto& seen : first_seen)
    if (!seen)
      return fail(ErrorKind::VerificationFailed,
                  "dig never saw the new record at every server during the rollover");

  std::vector<double> hook_times;
  std::istringstream lines(readTextFile(stamps));
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) hook_times.push_back(std::stod(line));
  if (hook_times.size() != previous_hooks + 1)
    return fail(ErrorKind::VerificationFailed,
                fmt::format("the hook ran {} times in this rollover, expected once",
                            hook_times.size() - previous_hooks));
  timing.visible = 0;
  for (const auto& seen : first_seen)
    timing.visible = std::max(timing.visible, *seen);
  timing.visible_last_miss = last_miss;
  timing.hook = hook_times.back();
  timing.bound = timing.visible + options.cache_factor * options.ttl + options.margin;
  return timing;
}

Result<void> latency(const LatencyOptions& options) {
  auto work = WorkDirectory::make(options.scratch);
  if (!work) return fail(std::move(work.error()));
  const fs::path dir = work->path();
  // Negative TTL = record TTL, so the first enablement has the same bound as a renewal.
  auto dns = startBind(dir, static_cast<std::uint32_t>(options.ttl));
  if (!dns) return fail(std::move(dns.error()));
  auto ca = makeAuthority(Clock::now());
  if (!ca) return fail(std::move(ca.error()));

  const fs::path stamps = dir / "hook-times";
  ServiceSpec service{"www",
                      {"www.example.test"},
                      dir / "www.pem",
                      {"/bin/sh", "-c", "date +%s.%N >> '" + stamps.string() + "'"}};
  const fs::path config = dir / "daneguard.toml";
  if (auto written = writeFile(config, configToml(**dns, dir / "state", {service},
                                                  static_cast<std::uint32_t>(options.ttl)));
      !written)
    return written;
  const std::string owner = "_443._tcp.www.example.test.";

  fmt::print(
      "rollover latency: TTL {} s (negative TTL {} s), cache factor {}, margin {} s, poll "
      "interval {} s; bound = visible + {} x {} s + {} s\n",
      options.ttl, options.ttl, options.cache_factor, options.margin, options.poll_interval,
      options.cache_factor, options.ttl, options.margin);
  std::vector<double> late;
  for (int rollover = 0; rollover < options.rollovers; ++rollover) {
    auto bundle = makeBundle(*ca, service.hosts, 100 + rollover, Clock::now());
    if (!bundle) return fail(std::move(bundle.error()));
    if (auto written = writeFile(service.bundle, *bundle); !written) return written;
    auto timing =
        oneRollover(options, **dns, dir, config, owner, stamps, static_cast<std::size_t>(rollover));
    if (!timing) return fail(std::move(timing.error()));
    const double delta = timing->hook - timing->bound;
    late.push_back(delta);
    fmt::print(
        "rollover {} ({}): visible +{:.2f} s (dig resolution {:.2f} s), hook +{:.2f} s, bound "
        "+{:.2f} s, hook - bound = {:+.3f} s\n",
        rollover + 1, timing->kind, timing->visible - timing->started,
        timing->visible - timing->visible_last_miss, timing->hook - timing->started,
        timing->bound - timing->started, delta);
  }
  // Lateness is the target; a hook BEFORE the bound would shorten the cache window itself.
  const double latest = maximum(late);
  const double earliest = *std::min_element(late.begin(), late.end());
  fmt::print(
      "hook - bound over {} rollovers: median {:+.3f} s, max {:+.3f} s, min {:+.3f} s; late by "
      "at most one poll interval ({} s): {}; never before the bound: {}\n",
      late.size(), median(late), latest, earliest, options.poll_interval,
      latest <= options.poll_interval ? "met" : "MISSED", earliest >= 0 ? "yes" : "NO");
  return {};
}

int report(const Result<void>& outcome, std::string_view benchmark) {
  if (outcome) return 0;
  std::fprintf(stderr, "rollover_bench %s: %s\n", std::string(benchmark).c_str(),
               outcome.error().message.c_str());
  return 1;
}

}  // namespace
}  // namespace daneguard::bench

int main(int argc, char** argv) {
  using namespace daneguard::bench;
  CLI::App app{"daneguard rollover benchmarks against a throwaway BIND (docs/performance.md)"};
  app.require_subcommand(1);
  std::string daneguard = DANEGUARD_BINARY_PATH;
  app.add_option("--daneguard", daneguard, "the daneguard binary to measure")
      ->capture_default_str();
  std::string scratch;
  app.add_option("--scratch", scratch,
                 "where the private working directory (state, BIND files) is made [$TMPDIR, "
                 "else /tmp]");

  SteadyOptions steady;
  CLI::App* steady_command =
      app.add_subcommand("steady-state", "`daneguard run` with every service rolled over already");
  steady_command->add_option("--services", steady.services, "services (the config allows 500)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  steady_command->add_option("--hosts-per-service", steady.hosts_per_service, "hosts per service")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  steady_command->add_option("--repetitions", steady.repetitions, "measured runs")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));

  LatencyOptions latency_options;
  CLI::App* latency_command =
      app.add_subcommand("latency", "hook time against the policy bound, `run --wait`");
  latency_command
      ->add_option("--rollovers", latency_options.rollovers,
                   "rollovers (the first is the first enablement)")
      ->capture_default_str()
      ->check(CLI::Range(2, 100));
  latency_command->add_option("--ttl", latency_options.ttl, "record and negative TTL, seconds")
      ->capture_default_str()
      ->check(CLI::Range(1, 60));
  latency_command->add_option("--margin", latency_options.margin, "margin, seconds")
      ->capture_default_str()
      ->check(CLI::Range(0, 60));
  CLI11_PARSE(app, argc, argv);

  if (*steady_command) {
    steady.daneguard = daneguard;
    steady.scratch = scratch;
    return report(steadyState(steady), "steady-state");
  }
  latency_options.daneguard = daneguard;
  latency_options.scratch = scratch;
  return report(latency(latency_options), "latency");
}
