// The meaning of every key in the configuration file: turns a parsed TOML document into
// config::Config, reporting each problem into Diagnostics. docs/configuration.md mirrors it.
#pragma once

#include <toml++/toml.h>

#include "adapters/config_toml/diagnostics.hpp"
#include "core/config/config.hpp"

namespace daneguard::adapters::config_toml {

/// The returned value is meaningful only if `diagnostics` stayed empty.
config::Config decodeConfig(const toml::table& root, Diagnostics& diagnostics);

}  // namespace daneguard::adapters::config_toml
