// Which configured services a certbot deploy hook (or another ACME client's hook) is about:
// certbot names the renewed lineage by its live/ directory (RENEWED_LINEAGE), other clients by
// the directory or file they wrote. Pure: the caller supplies how paths are normalised (the CLI
// resolves symlinks), so the matching rules are unit-tested without a file system.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"

namespace daneguard::app {

/// Turns a path into a comparable form (absolute, "..", "." and symlinks resolved where
/// possible). Identity is acceptable for tests.
using PathNormalizer = std::function<std::string(std::string_view path)>;

/// Names of the services whose certificate comes from `lineage`, in configuration order:
/// - certbot sources whose <config_dir>/live/<lineage> is that directory;
/// - pem sources whose file is `lineage` or lies directly in that directory (lego, DaneBot);
/// - files sources with any of their files being `lineage` or lying directly in it.
std::vector<std::string> servicesForLineage(const config::Config& config, std::string_view lineage,
                                            const PathNormalizer& normalize);

}  // namespace daneguard::app
