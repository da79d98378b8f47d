// Shared wiring of the rollover commands (see the header).
#include "cli/run_wiring.hpp"

#include <system_error>
#include <thread>
#include <utility>

#include "adapters/deploy/hook_staging.hpp"
#include "cli/deployer_factory.hpp"
#include "cli/state_store_factory.hpp"

namespace daneguard::cli {
namespace {

namespace fs = std::filesystem;

constexpr auto kLockRetryInterval = std::chrono::milliseconds(250);

class LazyStateStore final : public ports::StateStore {
 public:
  explicit LazyStateStore(fs::path state_dir) : state_dir_(std::move(state_dir)) {}

  Result<ports::StoredService> loadService(std::string_view service) override {
    return withStore([&](ports::StateStore& store) { return store.loadService(service); });
  }
  Result<void> recordFact(const RecordFact& fact) override {
    return withStore([&](ports::StateStore& store) { return store.recordFact(fact); });
  }
  Result<void> addOwnedRecords(std::string_view service, std::string_view owner,
                               const std::vector<TlsaRecord>& records) override {
    return withStore(
        [&](ports::StateStore& store) { return store.addOwnedRecords(service, owner, records); });
  }
  Result<void> removeOwnedRecords(std::string_view service, std::string_view owner,
                                  const std::vector<TlsaRecord>& records) override {
    return withStore([&](ports::StateStore& store) {
      return store.removeOwnedRecords(service, owner, records);
    });
  }
  Result<void> recordDeployed(std::string_view service, const CertificateRecords& deployed,
                              std::chrono::sys_seconds at) override {
    return withStore(
        [&](ports::StateStore& store) { return store.recordDeployed(service, deployed, at); });
  }
  Result<void> recordVerified(std::string_view service, std::string_view candidate_id,
                              std::chrono::sys_seconds at) override {
    return withStore(
        [&](ports::StateStore& store) { return store.recordVerified(service, candidate_id, at); });
  }
  Result<std::vector<ports::CompletedRollover>> rolloverHistory(std::string_view service) override {
    return withStore([&](ports::StateStore& store) { return store.rolloverHistory(service); });
  }

 private:
  template <class Call>
  auto withStore(Call call) -> decltype(call(std::declval<ports::StateStore&>())) {
    if (!store_) {
      auto opened = openStateStore(state_dir_);
      if (!opened) return fail(std::move(opened.error()));
      store_ = std::move(*opened);
    }
    return call(*store_);
  }

  fs::path state_dir_;
  std::unique_ptr<ports::StateStore> store_;
};

Result<adapters::files::LockFile> lockWithPatience(const fs::path& state_dir,
                                                   std::chrono::milliseconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    auto taken = adapters::files::LockFile::acquire(state_dir / "daneguard.lock");
    if (taken || taken.error().kind != ErrorKind::Transient ||
        std::chrono::steady_clock::now() >= deadline)
      return taken;
    std::this_thread::sleep_for(kLockRetryInterval);
  }
}

adapters::publishers::DirectoryOptions directoryOptions(RunWiringOptions& options,
                                                        app::RunEvents& events) {
  adapters::publishers::DirectoryOptions directory;
  directory.authority_port = options.authority_port;
  directory.secret_overrides = std::move(options.secret_overrides);
  directory.warn = [&events](const std::string& line) {
    events.log(app::LogLevel::Warning, "", line);
  };
  return directory;
}

}  // namespace

fs::path stateDirectoryOf(const std::string& flag_value, const config::Config& config) {
  return flag_value.empty() ? fs::path(config.state_dir) : fs::path(flag_value);
}

Result<adapters::files::LockFile> claimStateDirectory(const fs::path& state_dir,
                                                      std::chrono::milliseconds patience) {
  std::error_code error;
  if (!fs::exists(state_dir, error) && fs::create_directories(state_dir, error))
    fs::permissions(state_dir, fs::perms::owner_all, error);
  if (error)
    return fail(error == std::errc::permission_denied ? ErrorKind::Permission : ErrorKind::NotFound,
                "cannot create the state directory " + state_dir.string() + ": " + error.message());
  auto lock = lockWithPatience(state_dir, patience);
  if (!lock) return fail(std::move(lock.error()));
  if (auto cleaned = adapters::deploy::removeStaleHookStaging(state_dir); !cleaned)
    return fail(std::move(cleaned.error()));
  return lock;
}

std::unique_ptr<ports::StateStore> lazyStateStore(fs::path state_dir) {
  return std::make_unique<LazyStateStore>(std::move(state_dir));
}

int finishWithFailure(const app::RunReport& report, app::RunEvents& events) {
  if (!report.failure) return 0;
  for (const app::ServiceReport& service : report.services)
    if (service.error && service.error->message == report.failure->message)
      return exitCodeFor(report.failure->kind);
  events.log(app::LogLevel::Error, "", report.failure->message);
  return exitCodeFor(report.failure->kind);
}

RunWiring::RunWiring(const config::Config& config, const fs::path& state_dir,
                     std::unique_ptr<ports::StateStore> store, app::RunEvents& events,
                     RunWiringOptions options)
    : publishers_(config, query_, directoryOptions(options, events)),
      store_(std::move(store)),
      deployer_(makeDeployer(state_dir)),
      ports_{query_, publishers_, certificates_, *store_, *deployer_, clock_, events} {
  ports_.probe = &probe_;
  ports_.addresses = &addresses_;
}

}  // namespace daneguard::cli
