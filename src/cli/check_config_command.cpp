// `daneguard check-config`: parses the configuration file strictly and prints what it
// understood, one line per service, so an operator can check a change before the next run.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>

#include "adapters/config_toml/config_toml.hpp"
#include "cli/command.hpp"
#include "core/tlsa/tlsa_mnemonics.hpp"

namespace daneguard::cli {
namespace {

constexpr const char* kDefaultConfigPath = "/etc/daneguard/daneguard.toml";

std::string describeService(const config::Service& service) {
  std::vector<std::string> records;
  for (const TlsaParameters& parameters : service.records) {
    records.push_back(tlsaParametersNumbers(parameters));
  }
  return fmt::format("service {}: hosts {}; ports {}/{}; records {}; ttl {}; publisher {}",
                     service.name, fmt::join(service.hosts, ","), fmt::join(service.ports, ","),
                     config::transportProtocolName(service.protocol), fmt::join(records, ","),
                     service.ttl, service.publisher);
}

}  // namespace

CommandAction registerCheckConfigCommand(CLI::App& parent) {
  auto path = std::make_shared<std::string>(kDefaultConfigPath);
  CLI::App* command = parent.add_subcommand(
      "check-config", "Check the configuration file strictly and summarise it; changes nothing");
  command->add_option("-c,--config,FILE", *path, "configuration file")
      ->capture_default_str()
      ->envname("DANEGUARD_CONFIG");
  return [path]() -> Result<int> {
    auto loaded = adapters::config_toml::loadConfigFile(*path);
    if (!loaded) return fail(std::move(loaded.error()));
    fmt::print("{}: OK ({} service{}, {} publisher{})\n", *path, loaded->services.size(),
               loaded->services.size() == 1 ? "" : "s", loaded->publishers.size(),
               loaded->publishers.size() == 1 ? "" : "s");
    for (const config::Service& service : loaded->services) {
      fmt::print("{}\n", describeService(service));
    }
    return 0;
  };
}

}  // namespace daneguard::cli
