#include "adapters/state/sqlite_state_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <random>
#include <string>
#include <vector>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "unit/adapters/state/state_test_support.hpp"

namespace daneguard::adapters::state {
namespace {

using test::instant;
using test::RawDatabase;
using test::record;

constexpr std::string_view kOwner = "_25._tcp.mail.example.test.";
constexpr std::string_view kOtherOwner = "_465._tcp.mail.example.test.";

mode_t modeOf(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

std::unique_ptr<SqliteStateStore> openStore(const std::filesystem::path& state_dir,
                                            SqliteStateStoreOptions options = {}) {
  auto store = SqliteStateStore::open(state_dir, options);
  EXPECT_TRUE(store) << store.error().message;
  return store ? std::move(*store) : nullptr;
}

ports::StoredService load(SqliteStateStore& store, std::string_view service) {
  auto loaded = store.loadService(service);
  EXPECT_TRUE(loaded) << loaded.error().message;
  return loaded ? *loaded : ports::StoredService{};
}

RecordFact fact(std::string_view service, std::string_view owner, const TlsaRecord& tlsa,
                FactKind kind, std::int64_t ttl_or_at) {
  RecordFact made;
  made.service = std::string(service);
  made.owner = std::string(owner);
  made.record = tlsa;
  made.kind = kind;
  made.ttl = std::chrono::seconds{ttl_or_at};
  made.at = instant(ttl_or_at);
  return made;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// --- opening ------------------------------------------------------------------------------------

TEST(SqliteStateStore, CreatesMissingDirectoriesWith0700AndTheDatabaseWith0600DespiteTheUmask) {
  testing::TempDir dir;
  const auto state_dir = dir.path() / "var" / "lib" / "daneguard";
  const mode_t previous = ::umask(0);
  auto store = SqliteStateStore::open(state_dir);
  ::umask(previous);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ(modeOf(state_dir), 0700u);
  EXPECT_EQ(modeOf(dir.path() / "var"), 0700u);
  EXPECT_EQ((*store)->databasePath(), state_dir / "state.sqlite3");
  EXPECT_EQ(modeOf(state_dir / "state.sqlite3"), 0600u);
}

TEST(SqliteStateStore, ARestrictiveUmaskDoesNotLockTheOwnerOut) {
  testing::TempDir dir;
  const mode_t previous = ::umask(0277);
  auto store = SqliteStateStore::open(dir.path() / "state");
  ::umask(previous);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ(modeOf(dir.path() / "state"), 0700u);
  EXPECT_EQ(modeOf(dir.path() / "state" / "state.sqlite3"), 0600u);
  EXPECT_TRUE((*store)->addOwnedRecords("mail", kOwner, {record(1)}));
}

TEST(SqliteStateStore, StampsTheSchemaVersionAndKeepsTheJournalInDeleteMode) {
  testing::TempDir dir;
  auto store = openStore(dir.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->addOwnedRecords("mail", kOwner, {record(1)}));
  // Independent reader: the sqlite3 CLI when installed, a raw connection otherwise.
  const auto file = dir.path() / "state.sqlite3";
  if (daneguard::testing::programExists("sqlite3")) {
    const auto version =
        daneguard::testing::runCommand({"sqlite3", file.string(), "PRAGMA user_version;"});
    EXPECT_EQ(version.out, std::to_string(SqliteStateStore::schemaVersion()) + "\n");
    const auto mode =
        daneguard::testing::runCommand({"sqlite3", file.string(), "PRAGMA journal_mode;"});
    EXPECT_EQ(mode.out, "delete\n");
  }
  RawDatabase raw(file);
  EXPECT_EQ(raw.scalar("PRAGMA user_version"), std::to_string(SqliteStateStore::schemaVersion()));
  EXPECT_EQ(raw.scalar("PRAGMA integrity_check"), "ok");
  // DELETE mode: between transactions the state is this one file, nothing beside it.
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "state.sqlite3-wal"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "state.sqlite3-journal"));
}

TEST(SqliteStateStore, RefusesADirectoryOthersCanWriteTo) {
  testing::TempDir dir;
  const auto state_dir = dir.path() / "shared";
  std::filesystem::create_directory(state_dir);
  ASSERT_EQ(::chmod(state_dir.c_str(), 0777), 0);
  auto store = SqliteStateStore::open(state_dir);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind, ErrorKind::Permission);
  EXPECT_TRUE(contains(store.error().message, state_dir.string())) << store.error().message;
  EXPECT_FALSE(std::filesystem::exists(state_dir / "state.sqlite3"));
}

TEST(SqliteStateStore, DoesNotFollowASymlinkPlacedAtTheDatabasePath) {
  testing::TempDir dir;
  const auto elsewhere = dir.path() / "elsewhere.sqlite3";
  const auto state_dir = dir.path() / "state";
  std::filesystem::create_directory(state_dir);
  ASSERT_EQ(::chmod(state_dir.c_str(), 0700), 0);
  std::filesystem::create_symlink(elsewhere, state_dir / "state.sqlite3");
  auto store = SqliteStateStore::open(state_dir);
  ASSERT_FALSE(store);
  EXPECT_TRUE(contains(store.error().message, (state_dir / "state.sqlite3").string()))
      << store.error().message;
  EXPECT_TRUE(contains(store.error().message, "symbolic link")) << store.error().message;
  EXPECT_FALSE(std::filesystem::exists(elsewhere));
}

TEST(SqliteStateStore, AFileThatIsNotADatabaseIsAClearErrorNotACrash) {
  testing::TempDir dir;
  std::string garbage;
  for (int line = 0; line < 200; ++line)
    garbage += "this is not an SQLite database\n";
  const auto file = dir.write("state.sqlite3", garbage);
  auto store = SqliteStateStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind, ErrorKind::InvalidInput);
  EXPECT_TRUE(contains(store.error().message, file.string())) << store.error().message;
  EXPECT_TRUE(contains(store.error().message, "not a database")) << store.error().message;
}

TEST(SqliteStateStore, AnotherProgramsSqliteDatabaseIsRefusedAndLeftAlone) {
  testing::TempDir dir;
  const auto file = dir.path() / "state.sqlite3";
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &handle), SQLITE_OK);
  SqliteConnectionPtr other(handle);
  ASSERT_EQ(sqlite3_exec(other.get(), "CREATE TABLE notes (text TEXT)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  other.reset();
  auto store = SqliteStateStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind, ErrorKind::InvalidInput);
  EXPECT_TRUE(contains(store.error().message, "not daneguard state")) << store.error().message;
  RawDatabase raw(file);
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM sqlite_schema"), "1");
}

TEST(SqliteStateStore, RefusesADatabaseFromANewerDaneguard) {
  testing::TempDir dir;
  { ASSERT_TRUE(openStore(dir.path())); }
  const int newer = SqliteStateStore::schemaVersion() + 1;
  {
    RawDatabase raw(dir.path() / "state.sqlite3");
    ASSERT_EQ(raw.exec("PRAGMA user_version = " + std::to_string(newer)), "");
  }
  auto store = SqliteStateStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind, ErrorKind::InvalidInput);
  EXPECT_TRUE(contains(store.error().message, "newer daneguard")) << store.error().message;
  EXPECT_TRUE(contains(store.error().message, "schema version " + std::to_string(newer)))
      << store.error().message;
  RawDatabase raw(dir.path() / "state.sqlite3");
  EXPECT_EQ(raw.scalar("PRAGMA user_version"), std::to_string(newer));  // not "repaired"
}

TEST(SqliteStateStore, AnEmptyFileIsAnEmptyDatabaseAndGetsTheSchema) {
  testing::TempDir dir;
  dir.write("state.sqlite3", "");
  auto store = openStore(dir.path());
  ASSERT_TRUE(store);
  EXPECT_TRUE(load(*store, "mail").owned.empty());
}

// --- round trips --------------------------------------------------------------------------------

TEST(SqliteStateStore, AServiceNeverSeenLoadsAsAllEmpty) {
  testing::TempDir dir;
  auto store = openStore(dir.path());
  ASSERT_TRUE(store);
  const auto stored = load(*store, "never-seen");
  EXPECT_EQ(stored.name, "never-seen");
  EXPECT_TRUE(stored.deployed.id.empty());
  EXPECT_TRUE(stored.deployed.records.empty());
  EXPECT_FALSE(stored.deployed_at);
  EXPECT_FALSE(stored.verified_id);
  EXPECT_TRUE(stored.owned.empty());
  EXPECT_TRUE(stored.history.empty());
}

TEST(SqliteStateStore, OwnedRecordsRoundTripPerOwnerAndIgnoreDuplicates) {
  testing::TempDir dir;
  auto store = openStore(dir.path());
  ASSERT_TRUE(store);
  TlsaRecord full_certificate;
  full_certificate.parameters = {TlsaUsage::DaneTa, TlsaSelector::Cert, TlsaMatchingType::Full};
  full_certificate.data = {0x30, 0x82, 0x00, 0x01};
  ASSERT_TRUE(store->addOwnedRecords("mail", kOwner, {record(1), full_certificate}));
  ASSERT_TRUE(store->addOwnedRecords("mail", kOwner, {record(1)}));  // again: no duplicate
  ASSERT_TRUE(store->addOwnedRecords("mail", kOtherOwner, {record(2)}));

  const auto stored = load(*store, "mail");
  ASSERT_EQ(stored.owned.size(), 2u);
  EXPECT_EQ(stored.owned.at(std::string(kOwner)),
            (std::vector<TlsaRecord>{record(1), full_certificate}));
  EXPECT_EQ(stored.owned.at(std::string(kOtherOwner)), std::vector<TlsaRecord>{record(2)});
}

TEST(SqliteStateStore, RemovingOwnershipIsExactPerRecordOwnerAndService) {
  testing::TempDir dir;
  auto store = openStore(dir.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->addOwnedRecords("mail", kOwner, {record(1), record(2), record(3)}));
  ASSERT_TRUE(store->addOwnedRecords("mail", kOtherOwner, {record(1), record(2)}));
  ASSERT_TRUE(store->addOwnedRecords("web", kOwner, {record(1), record(2)}));
  // Same data, other parameters: a different record that must survive.
  TlsaRecord record_1_as_2_1_1 = record(1);
  record_1_as_2_1_1.parameters.usage = TlsaUsage::DaneTa;
  ASSERT_TRUE(store->addOwnedRecords("mail", kOwner, {record_1_as_2_1_1}));

  ASSERT_TRUE(store->removeOwnedRecords("mail", kOwner, {record(1), record(3), record(9)}));

  const auto mail = load(*store, "mail");
  EXPECT_EQ(mail.owned.at(std::string(kOwner)),
            (std::vector<TlsaRecord>{record(2), record_1_as_2_1_1}));
  EXPECT_EQ(mail.owned.at(std::string(kOtherOwner)),
            (std::vector<TlsaRecord>{record(1), record(2)}));
  EXPECT_EQ(load(*store, "web").owned.at(std::string(kOwner)),
            (std::vector<TlsaRecord>{record(1), record(2)}));

  ASSERT_TRUE(store->removeOwnedRecords("mail", kOwner, {record(2), record_1_as_2_1_1}));
  EXPECT_FALSE(load(*store, "mail").owned.contains(std::string(kOwner)));
}

TEST(SqliteStateStore, FactsKeepTheLongerTtlAndTheFirstInstant) {
  testing::TempDir dir;
  auto store = openStore(dir.path());
  ASSERT_TRUE(store);
  const TlsaRecord tlsa = record(7);
  for (const RecordFact& each : {
           fact("mail", kOwner, tlsa, FactKind::SeenLackingInRrset, 300),
           fact("mail", kOwner, tlsa, FactKind::SeenLackingInRrset, 3600),
           fact("mail", kOwner, tlsa, FactKind::SeenLackingInRrset, 600),
           fact("mail", kOwner, tlsa, FactKind::SeenLackingNoRrset, 900),
           fact("mail", kOwner, tlsa, FactKind::SeenLackingNoRrset, 60),
           fact("mail", kOwner, tlsa, FactKind::MissingSince, 1'700'000'000),
           fact("mail", kOwner, tlsa, FactKind::MissingSince, 1'700'000'500),
       }) {
    ASSERT_TRUE(store->recordFact(each));
  }
  auto history = load(*store, "mail").history.at(std::string(kOwner));
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].record, tlsa);
  EXPECT_EQ(history[0].longest_ttl_without, std::chrono::seconds{3600});
  EXPECT_EQ(history[0].negative_ttl_without, std::chrono::seconds{900});
  EXPECT_EQ(history[0].missing_since, instant(1'700'000'000));
  EXPECT_FALSE(history[0].visible_since);

  // Visible everywhere: the first instant wins and the missing mark is cleared.
  ASSERT_TRUE(store->recordFact(fact("mail", kOwner, tlsa, FactKind::VisibleSince, 1'700'001'000)));
  ASSERT_TRUE(store->recordFact(fact("mail", kOwner, tlsa, FactKind::VisibleSince, 1'700'002'000)));
  history = load(*store, "mail").history.at(std::string(kOwner));
  EXPECT_EQ(history[0].visible_since, instant(1'700'001'000));
  EXPECT_FALSE(history[0].missing_since);
  EXPECT_EQ(history[0].longest_ttl_without, std::chrono::seconds{3600});

  // Lost again: the cache window has to start over.
  ASSERT_TRUE(store->recordFact(fact("mail", kOwner, tlsa, FactKind::NoLongerVisible, 0)));
  history = load(*store, "mail").history.at(std::string(kOwner));
  EXPECT_FALSE(history[0].visible_since);
  EXPECT_EQ(history[0].negative_ttl_without, std::chrono::seconds{900});
}

void expectSameHistories(const std::vector<RecordHistory>& got,
                         const std::vector<RecordHistory>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].record, want[i].record);
    EXPECT_EQ(got[i].longest_ttl_without, want[i].longest_ttl_without);
    EXPECT_EQ(got[i].negative_ttl_without, want[i].negative_ttl_without);
    EXPECT_EQ(got[i].missing_since, want[i].missing_since);
    EXPECT_EQ(got[i].visible_since, want[i].visible_since);
  }
}

TEST(SqliteStateStore, ReplayingAFactChangesNothingNotEvenTheFile) {
  testing::TempDir dir;
  auto store = openStore(dir.path());
  ASSERT_TRUE(store);
  RawDatabase raw(dir.path() / "state.sqlite3");
  for (const RecordFact& each : {
           fact("mail", kOwner, record(1), FactKind::SeenLackingInRrset, 3600),
           fact("mail", kOwner, record(1), FactKind::MissingSince, 1'700'000'000),
           fact("mail", kOwner, record(2), FactKind::SeenLackingNoRrset, 300),
           fact("mail", kOwner, record(1), FactKind::VisibleSince, 1'700'000'100),
           fact("mail", kOwner, record(1), FactKind::NoLongerVisible, 0),
       }) {
    ASSERT_TRUE(store->recordFact(each));
    const auto once = load(*store, "mail").history.at(std::string(kOwner));
    // data_version moves whenever another connection commits a change.
    const std::string version_before = raw.scalar("PRAGMA data_version");
    ASSERT_TRUE(store->recordFact(each));  // replayed, as after a crash
    expectSameHistories(load(*store, "mail").history.at(std::string(kOwner)), once);
    EXPECT_EQ(raw.scalar("PRAGMA data_version"), version_before) << "a replay wrote to the file";
  }
}

TEST(SqliteStateStore, ReplayingAWholeSequenceEndsInTheSameState) {
  testing::TempDir dir;
  auto store = openStore(dir.path());
  ASSERT_TRUE(store);
  const std::vector<RecordFact> facts = {
      fact("mail", kOwner, record(1), FactKind::SeenLackingInRrset, 3600),
      fact("mail", kOwner, record(1), FactKind::MissingSince, 1'700'000'000),
      fact("mail", kOwner, record(2), FactKind::SeenLackingNoRrset, 300),
      fact("mail", kOwner, record(1), FactKind::VisibleSince, 1'700'000'100),
  };
  for (const auto& each : facts)
    ASSERT_TRUE(store->recordFact(each));
  const auto once = load(*store, "mail").history.at(std::string(kOwner));
  ASSERT_EQ(once.size(), 2u);
  for (const auto& each : facts)
    ASSERT_TRUE(store->recordFact(each));
  expectSameHistories(load(*store, "mail").history.at(std::string(kOwner)), once);
}

TEST(SqliteStateStore, FactsAreKeptApartPerServiceOwnerAndRecord) {
  testing::TempDir dir;
  auto store = openStore(dir.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->recordFact(fact("mail", kOwner, record(1), FactKind::SeenLackingInRrset, 10)));
  ASSERT_TRUE(
      store->recordFact(fact("mail", kOtherOwner, record(1), FactKind::SeenLackingInRrset, 20)));
  ASSERT_TRUE(store->recordFact(fact("mail", kOwner, record(2), FactKind::SeenLackingInRrset, 30)));
  ASSERT_TRUE(store->recordFact(fact("web", kOwner, record(1), FactKind::SeenLackingInRrset, 40)));

  const auto mail = load(*store, "mail").history;
  ASSERT_EQ(mail.at(std::string(kOwner)).size(), 2u);
  EXPECT_EQ(mail.at(std::string(kOwner))[0].longest_ttl_without, std::chrono::seconds{10});
  EXPECT_EQ(mail.at(std::string(kOwner))[1].record, record(2));
  EXPECT_EQ(mail.at(std::string(kOwner))[1].longest_ttl_without, std::chrono::seconds{30});
  EXPECT_EQ(mail.at(std::string(kOtherOwner))[0].longest_ttl_without, std::chrono::seconds{20});
  EXPECT_EQ(load(*store, "web").history.at(std::string(kOwner))[0].longest_ttl_without,
            std::chrono::seconds{40});
}

// The store must apply core's merge rule and nothing else: random fact sequences, merged in
// memory by mergeRecordFact and through the store, must end in the same histories.
TEST(SqliteStateStore, RandomFactSequencesMatchTheInMemoryMergeRule) {
  testing::TempDir dir;
  auto store = openStore(dir.path());
  ASSERT_TRUE(store);
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  std::vector<RecordHistory> expected;
  const FactKind kinds[] = {FactKind::SeenLackingInRrset, FactKind::SeenLackingNoRrset,
                            FactKind::MissingSince, FactKind::VisibleSince,
                            FactKind::NoLongerVisible};
  for (int step = 0; step < 300; ++step) {
    RecordFact next = fact("mail", kOwner, record(static_cast<std::uint8_t>(random() % 4)),
                           kinds[random() % 5], 0);
    next.ttl = std::chrono::seconds{random() % 7200};
    next.at = instant(1'700'000'000 + random() % 100'000);
    mergeRecordFact(expected, next);
    ASSERT_TRUE(store->recordFact(next));
  }
  const auto stored = load(*store, "mail").history.at(std::string(kOwner));
  ASSERT_EQ(stored.size(), expected.size());
  for (const RecordHistory& want : expected) {
    const RecordHistory* got = findHistory(stored, want.record);
    ASSERT_NE(got, nullptr);
    EXPECT_EQ(got->longest_ttl_without, want.longest_ttl_without);
    EXPECT_EQ(got->negative_ttl_without, want.negative_ttl_without);
    EXPECT_EQ(got->missing_since, want.missing_since);
    EXPECT_EQ(got->visible_since, want.visible_since);
  }
}

TEST(SqliteStateStore, RecordDeployedReplacesTheRecordsClearsVerificationAndAppendsHistory) {
  testing::TempDir dir;
  auto store = openStore(dir.path());
  ASSERT_TRUE(store);
  const CertificateRecords first{"cert-A", {record(1), record(2)}};
  const CertificateRecords second{"cert-B", {record(3)}};
  ASSERT_TRUE(store->recordDeployed("mail", first, instant(1'700'000'000)));
  ASSERT_TRUE(store->recordVerified("mail", "cert-A", instant(1'700'000'100)));
  auto stored = load(*store, "mail");
  EXPECT_EQ(stored.deployed.id, "cert-A");
  EXPECT_EQ(stored.deployed.records, first.records);
  EXPECT_EQ(stored.deployed_at, instant(1'700'000'000));
  EXPECT_EQ(stored.verified_id, "cert-A");

  ASSERT_TRUE(store->recordDeployed("web", {"cert-W", {record(9)}}, instant(1'700'000'200)));
  ASSERT_TRUE(store->recordDeployed("mail", second, instant(1'700'000'300)));
  stored = load(*store, "mail");
  EXPECT_EQ(stored.deployed.id, "cert-B");
  EXPECT_EQ(stored.deployed.records, second.records);
  EXPECT_EQ(stored.deployed_at, instant(1'700'000'300));
  EXPECT_FALSE(stored.verified_id);

  const auto mail_history = store->rolloverHistory("mail");
  ASSERT_TRUE(mail_history) << mail_history.error().message;
  ASSERT_EQ(mail_history->size(), 2u);
  EXPECT_EQ((*mail_history)[0].service, "mail");
  EXPECT_EQ((*mail_history)[0].from_id, "");
  EXPECT_EQ((*mail_history)[0].to_id, "cert-A");
  EXPECT_EQ((*mail_history)[0].deployed_at, instant(1'700'000'000));
  EXPECT_EQ((*mail_history)[1].from_id, "cert-A");
  EXPECT_EQ((*mail_history)[1].to_id, "cert-B");
  EXPECT_EQ((*mail_history)[1].deployed_at, instant(1'700'000'300));

  const auto all = store->rolloverHistory("");
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].to_id, "cert-A");
  EXPECT_EQ((*all)[1].service, "web");
  EXPECT_EQ((*all)[2].to_id, "cert-B");
  EXPECT_TRUE(store->rolloverHistory("nothing-here")->empty());
}

TEST(SqliteStateStore, VerificationRoundTripsAndCanBeReplaced) {
  testing::TempDir dir;
  auto store = openStore(dir.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->recordVerified("mail", "cert-A", instant(1)));
  EXPECT_EQ(load(*store, "mail").verified_id, "cert-A");
  ASSERT_TRUE(store->recordVerified("mail", "cert-B", instant(2)));
  EXPECT_EQ(load(*store, "mail").verified_id, "cert-B");
  EXPECT_TRUE(load(*store, "mail").deployed.id.empty());
}

TEST(SqliteStateStore, EverythingSurvivesClosingAndReopening) {
  testing::TempDir dir;
  {
    auto store = openStore(dir.path());
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->addOwnedRecords("mail", kOwner, {record(1), record(2)}));
    ASSERT_TRUE(
        store->recordFact(fact("mail", kOwner, record(2), FactKind::SeenLackingNoRrset, 5)));
    ASSERT_TRUE(store->recordFact(fact("mail", kOwner, record(2), FactKind::VisibleSince, 77)));
    ASSERT_TRUE(store->recordDeployed("mail", {"cert-A", {record(1)}}, instant(100)));
    ASSERT_TRUE(store->recordVerified("mail", "cert-A", instant(200)));
  }
  auto reopened = openStore(dir.path());
  ASSERT_TRUE(reopened);
  const auto stored = load(*reopened, "mail");
  EXPECT_EQ(stored.owned.at(std::string(kOwner)), (std::vector<TlsaRecord>{record(1), record(2)}));
  const auto& history = stored.history.at(std::string(kOwner));
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].record, record(2));
  EXPECT_EQ(history[0].negative_ttl_without, std::chrono::seconds{5});
  EXPECT_EQ(history[0].visible_since, instant(77));
  EXPECT_EQ(stored.deployed.id, "cert-A");
  EXPECT_EQ(stored.deployed.records, std::vector<TlsaRecord>{record(1)});
  EXPECT_EQ(stored.deployed_at, instant(100));
  EXPECT_EQ(stored.verified_id, "cert-A");
  EXPECT_EQ(reopened->rolloverHistory("mail")->size(), 1u);
}

TEST(SqliteStateStore, EmptyDataAndUnusualNamesRoundTrip) {
  testing::TempDir dir;
  auto store = openStore(dir.path());
  ASSERT_TRUE(store);
  TlsaRecord empty_data;
  empty_data.parameters = {TlsaUsage::PkixTa, TlsaSelector::Cert, TlsaMatchingType::Sha512};
  const std::string service = "it's \"quoted\"; DROP TABLE services; --";
  ASSERT_TRUE(store->addOwnedRecords(service, kOwner, {empty_data}));
  ASSERT_TRUE(store->recordDeployed(service, {"", {empty_data}}, instant(-5)));
  const auto stored = load(*store, service);
  EXPECT_EQ(stored.owned.at(std::string(kOwner)), std::vector<TlsaRecord>{empty_data});
  EXPECT_EQ(stored.deployed.records, std::vector<TlsaRecord>{empty_data});
  EXPECT_EQ(stored.deployed_at, instant(-5));
}

// --- failures roll back -------------------------------------------------------------------------

TEST(SqliteStateStore, AFailureHalfwayThroughACallLeavesNothingBehind) {
  testing::TempDir dir;
  auto store = openStore(dir.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->recordDeployed("mail", {"cert-A", {record(1)}}, instant(100)));
  ASSERT_TRUE(store->recordVerified("mail", "cert-A", instant(150)));
  {
    // Injected faults: the second insert of each call fails after the first one succeeded.
    RawDatabase raw(dir.path() / "state.sqlite3");
    ASSERT_EQ(raw.exec("CREATE TRIGGER refuse_record AFTER INSERT ON owned_records "
                       "WHEN new.data = x'" +
                       std::string(64, '6') +
                       "' BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
                       "CREATE TRIGGER refuse_rollover BEFORE INSERT ON rollovers "
                       "WHEN new.to_id = 'cert-bad' "
                       "BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"),
              "");
  }
  TlsaRecord refused = record(0x66);
  refused.data[0] = 0x66;
  const auto added = store->addOwnedRecords("mail", kOwner, {record(2), refused});
  ASSERT_FALSE(added);
  EXPECT_TRUE(contains(added.error().message, "injected failure")) << added.error().message;
  EXPECT_TRUE(contains(added.error().message, (dir.path() / "state.sqlite3").string()));
  EXPECT_FALSE(load(*store, "mail").owned.contains(std::string(kOwner)));

  const auto deployed = store->recordDeployed("mail", {"cert-bad", {record(3)}}, instant(200));
  ASSERT_FALSE(deployed);
  const auto stored = load(*store, "mail");
  EXPECT_EQ(stored.deployed.id, "cert-A");
  EXPECT_EQ(stored.deployed.records, std::vector<TlsaRecord>{record(1)});
  EXPECT_EQ(stored.verified_id, "cert-A");
  EXPECT_EQ(store->rolloverHistory("mail")->size(), 1u);

  // The store is still usable after a rolled-back call.
  EXPECT_TRUE(store->addOwnedRecords("mail", kOwner, {record(2)}));
  EXPECT_EQ(load(*store, "mail").owned.at(std::string(kOwner)), std::vector<TlsaRecord>{record(2)});
}

TEST(SqliteStateStore, ABusyDatabaseFailsAsTransientAfterTheTimeoutAndChangesNothing) {
  testing::TempDir dir;
  auto store = openStore(dir.path(), SqliteStateStoreOptions{std::chrono::milliseconds{100}});
  ASSERT_TRUE(store);
  RawDatabase other_writer(dir.path() / "state.sqlite3");
  ASSERT_EQ(other_writer.exec("BEGIN IMMEDIATE"), "");
  const auto added = store->addOwnedRecords("mail", kOwner, {record(1)});
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().kind, ErrorKind::Transient);
  EXPECT_TRUE(contains(added.error().message, (dir.path() / "state.sqlite3").string()))
      << added.error().message;
  EXPECT_TRUE(contains(added.error().message, "locked")) << added.error().message;
  ASSERT_EQ(other_writer.exec("ROLLBACK"), "");
  EXPECT_FALSE(load(*store, "mail").owned.contains(std::string(kOwner)));
  EXPECT_TRUE(store->addOwnedRecords("mail", kOwner, {record(1)}));
}

}  // namespace
}  // namespace daneguard::adapters::state
