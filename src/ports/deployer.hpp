// Port: putting a certificate into service (run the operator's hook, which installs it and
// reloads the server). Called only when the planner decided it is safe (rollover_plan.hpp).
//
// A deploy may be repeated for the same certificate after a crash between the hook and the
// state store's record of it, so what it runs must be idempotent. Errors name the hook and its
// exit status; the old certificate and records stay in place and the next run retries.
#pragma once

#include <string>

#include "core/config/config.hpp"
#include "core/error.hpp"
#include "core/loaded_certificate.hpp"

namespace daneguard::ports {

struct DeployRequest {
  const config::Service& service;        // its `deploy` says how (hook command, timeout)
  const LoadedCertificate& certificate;  // key, leaf and chain to install
  std::string candidate_id;              // lower-case hex SHA-256 of the leaf DER
};

class Deployer {
 public:
  virtual ~Deployer() = default;
  virtual Result<void> deploy(const DeployRequest& request) = 0;
};

}  // namespace daneguard::ports
