// Version information shown by `daneguard --version` and in bug reports.
#pragma once

#include <string>

namespace daneguard::app {

/// "daneguard 0.1.0 (OpenSSL 3.0.x)".
std::string versionText();

}  // namespace daneguard::app
