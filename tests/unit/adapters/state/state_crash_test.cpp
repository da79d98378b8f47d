// Crash safety of the SQLite state store: a child process runs a fixed sequence of port calls and
// reports each one through a pipe only after the call returned Ok; the parent SIGKILLs it at a
// random moment, reopens the database and checks that it is intact and that it holds exactly the
// first N calls of the sequence, where N is the number reported or one more (the call that
// committed but was killed before it could report). SIGKILL models a process crash; power loss
// is covered by synchronous=FULL, which this test cannot observe.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "adapters/state/sqlite_state_store.hpp"
#include "support/temp_dir.hpp"
#include "unit/adapters/state/state_test_support.hpp"

namespace daneguard::adapters::state {
namespace {

using test::instant;
using test::RawDatabase;

constexpr std::string_view kOwner = "_443._tcp.www.example.test.";

/// 12 kills by default (about 1.5 s with real fsyncs); DANEGUARD_STATE_CRASH_ROUNDS for more.
int crashRounds() {
  const char* configured = std::getenv("DANEGUARD_STATE_CRASH_ROUNDS");
  return configured != nullptr ? std::max(1, std::atoi(configured)) : 12;
}

std::string serviceOfRound(int round) {
  return "crash-" + std::to_string(round);
}

/// Record `index` of a pair: data encodes the index, so thousands of them stay distinct.
TlsaRecord pairRecord(std::uint32_t index, std::uint8_t half) {
  TlsaRecord made = test::record(0xAA);
  made.data[0] = static_cast<std::uint8_t>(index >> 24);
  made.data[1] = static_cast<std::uint8_t>(index >> 16);
  made.data[2] = static_cast<std::uint8_t>(index >> 8);
  made.data[3] = static_cast<std::uint8_t>(index);
  made.data[4] = half;
  return made;
}

const TlsaRecord& factRecord() {
  static const TlsaRecord record = test::record(0xF0);
  return record;
}

std::string certificateId(std::uint32_t index) {
  return "cert-" + std::to_string(index);
}

/// Call n of the sequence: n % 3 picks the port call, n / 3 its argument. Each is one
/// transaction that changes more than one row or depends on the previous value.
Result<void> performCall(SqliteStateStore& store, const std::string& service, std::uint32_t n) {
  const std::uint32_t index = n / 3;
  switch (n % 3) {
    case 0:
      return store.addOwnedRecords(service, kOwner, {pairRecord(index, 0), pairRecord(index, 1)});
    case 1:
      return store.recordDeployed(service, {certificateId(index), {pairRecord(index, 0)}},
                                  instant(index));
    default: {
      RecordFact fact;
      fact.service = service;
      fact.owner = std::string(kOwner);
      fact.record = factRecord();
      fact.kind = FactKind::SeenLackingInRrset;
      fact.ttl = std::chrono::seconds{index + 1};
      return store.recordFact(fact);
    }
  }
}

[[noreturn]] void runChild(const std::filesystem::path& state_dir, const std::string& service,
                           int report_fd) {
  auto store = SqliteStateStore::open(state_dir);
  if (!store) _exit(3);
  for (std::uint32_t n = 0; n < 1'000'000; ++n) {
    if (!performCall(**store, service, n)) _exit(4);
    // 4 bytes < PIPE_BUF: the write is atomic, a report is never half there.
    if (::write(report_fd, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) _exit(5);
  }
  _exit(0);
}

/// What the first `calls` calls of the sequence leave in the store.
struct Counts {
  std::uint32_t owned_pairs = 0;
  std::uint32_t deploys = 0;
  std::uint32_t facts = 0;
  bool operator==(const Counts&) const = default;
};

Counts expectedAfter(std::uint32_t calls) {
  return Counts{(calls + 2) / 3, (calls + 1) / 3, calls / 3};
}

/// Reads the counts back, checking on the way that every part is internally consistent.
Counts observedCounts(SqliteStateStore& store, const std::string& service) {
  Counts counts;
  const auto stored = store.loadService(service);
  EXPECT_TRUE(stored) << stored.error().message;
  if (!stored) return counts;

  if (const auto owned = stored->owned.find(std::string(kOwner)); owned != stored->owned.end()) {
    EXPECT_EQ(owned->second.size() % 2, 0u) << "half of a pair was committed";
    counts.owned_pairs = static_cast<std::uint32_t>(owned->second.size() / 2);
    for (std::uint32_t index = 0; index < counts.owned_pairs; ++index) {
      EXPECT_EQ(owned->second[2 * index], pairRecord(index, 0));
      EXPECT_EQ(owned->second[2 * index + 1], pairRecord(index, 1));
    }
  }

  const auto history = store.rolloverHistory(service);
  EXPECT_TRUE(history) << history.error().message;
  if (history) {
    counts.deploys = static_cast<std::uint32_t>(history->size());
    for (std::uint32_t index = 0; index < counts.deploys; ++index) {
      const auto& rollover = (*history)[index];
      EXPECT_EQ(rollover.from_id, index == 0 ? "" : certificateId(index - 1));
      EXPECT_EQ(rollover.to_id, certificateId(index));
      EXPECT_EQ(rollover.deployed_at, instant(index));
    }
  }
  if (counts.deploys > 0) {
    EXPECT_EQ(stored->deployed.id, certificateId(counts.deploys - 1));
    EXPECT_EQ(stored->deployed.records, std::vector<TlsaRecord>{pairRecord(counts.deploys - 1, 0)});
  } else {
    EXPECT_TRUE(stored->deployed.id.empty());
  }

  if (const auto facts = stored->history.find(std::string(kOwner));
      facts != stored->history.end()) {
    EXPECT_EQ(facts->second.size(), 1u);
    if (!facts->second.empty() && facts->second[0].longest_ttl_without) {
      counts.facts = static_cast<std::uint32_t>(facts->second[0].longest_ttl_without->count());
    }
  }
  return counts;
}

/// Reads whole reports from `fd` (non-blocking) into `reports`, checking they are in order.
/// Returns false at end of file.
bool drainReports(int fd, std::vector<std::uint32_t>& reports, std::string& pending) {
  char buffer[4096];
  while (true) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got == 0) return false;
    if (got < 0) return errno == EAGAIN || errno == EINTR;
    pending.append(buffer, static_cast<std::size_t>(got));
    while (pending.size() >= sizeof(std::uint32_t)) {
      std::uint32_t n = 0;
      std::memcpy(&n, pending.data(), sizeof n);
      pending.erase(0, sizeof n);
      EXPECT_EQ(n, reports.size()) << "reports out of order";
      reports.push_back(n);
    }
  }
}

TEST(SqliteStateStoreCrash, EveryReportedCallSurvivesSigkillAtARandomMoment) {
  testing::TempDir dir;
  const auto state_dir = dir.path() / "state";
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  std::vector<Counts> committed_per_round;

  for (int round = 0, rounds = crashRounds(); round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string service = serviceOfRound(round);
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      runChild(state_dir, service, fds[1]);
    }
    ::close(fds[1]);
    ASSERT_EQ(::fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);

    // Round 0 may kill the child while it creates the schema; later rounds mostly mid-call.
    const auto lifetime = std::chrono::milliseconds(round == 0 ? random() % 20 : random() % 250);
    const auto deadline = std::chrono::steady_clock::now() + lifetime;
    std::vector<std::uint32_t> reports;
    std::string pending;
    while (std::chrono::steady_clock::now() < deadline && drainReports(fds[0], reports, pending))
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) || WEXITSTATUS(status) == 0)
        << "child failed with exit status " << WEXITSTATUS(status);
    ASSERT_EQ(::fcntl(fds[0], F_SETFL, 0), 0);
    while (drainReports(fds[0], reports, pending)) {
    }
    ::close(fds[0]);
    EXPECT_TRUE(pending.empty());

    // Killed before it even created the file: nothing can have been reported.
    if (!std::filesystem::exists(state_dir / "state.sqlite3")) {
      EXPECT_TRUE(reports.empty());
    } else {
      RawDatabase raw(state_dir / "state.sqlite3");
      EXPECT_EQ(raw.scalar("PRAGMA integrity_check"), "ok");
      EXPECT_EQ(raw.scalar("PRAGMA foreign_key_check"), "");
    }
    auto store = SqliteStateStore::open(state_dir);
    ASSERT_TRUE(store) << store.error().message;
    const auto reported = static_cast<std::uint32_t>(reports.size());
    const Counts observed = observedCounts(**store, service);
    EXPECT_TRUE(observed == expectedAfter(reported) || observed == expectedAfter(reported + 1))
        << reported << " calls reported; found " << observed.owned_pairs << " owned pairs, "
        << observed.deploys << " deploys, fact " << observed.facts;
    committed_per_round.push_back(observed);
    // Earlier rounds' services are untouched by later crashes.
    for (int earlier = 0; earlier < round; ++earlier) {
      EXPECT_EQ(observedCounts(**store, serviceOfRound(earlier)), committed_per_round[earlier])
          << "round " << earlier << " changed";
    }
  }
}

}  // namespace
}  // namespace daneguard::adapters::state
