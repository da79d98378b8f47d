// Port: putting a service's certificates into service (run the operator's hook, which installs
// them and reloads the server). Called only when the planner decided it is safe
// (rollover_plan.hpp). A service with dual certificates (RSA + ECDSA) deploys all of them in
// one request, so a server never pairs a new RSA certificate with a stale ECDSA one.
//
// A deploy may be repeated for the same certificate after a crash between the hook and the
// state store's record of it, so what it runs must be idempotent. Errors name the hook and its
// exit status; the old certificate and records stay in place and the next run retries.
#pragma once

#include <span>
#include <string>

#include "core/config/config.hpp"
#include "core/error.hpp"
#include "core/loaded_certificate.hpp"

namespace daneguard::ports {

struct DeployRequest {
  const config::Service& service;  // its `deploy` says how (hook command, timeout)
  /// Key, leaf and chain of every certificate to install, in configuration order: the primary
  /// first. Never empty; each has its private key.
  std::span<const LoadedCertificate> certificates;
  /// The candidate's id: lower-case hex SHA-256 of the leaf DER for one certificate, of the
  /// sorted leaf ids for several (app::certificateId).
  std::string candidate_id;
};

class Deployer {
 public:
  virtual ~Deployer() = default;
  virtual Result<void> deploy(const DeployRequest& request) = 0;
};

}  // namespace daneguard::ports
