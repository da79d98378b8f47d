// The Deployer that runs the service's deploy hook: stages the certificate files privately
// (hook_staging.hpp), runs the hook through a HookRunner without a shell, and removes the
// staged files whatever the outcome. Success means the hook exited 0; hooks must be idempotent
// because a crash after the hook but before the state records the deploy runs it again.
//
// Several certificates (dual RSA + ECDSA) are staged each in its own directory and handed to
// one hook run: the unsuffixed variables (DANEGUARD_CERT_FILE, DANEBOT_CERT, ...) describe the
// primary, DANEGUARD_<FILE>_<TYPE> every certificate by key type (RSA, ECDSA, ED25519, ED448),
// DANEGUARD_KEY_TYPES lists the types in configuration order. docs/hooks.md is the contract.
#pragma once

#include <filesystem>
#include <string_view>

#include "ports/deployer.hpp"
#include "ports/hook_runner.hpp"

namespace daneguard::adapters::deploy {

/// "RSA", "ECDSA", "ED25519", "ED448", "OTHER": the suffix of the per-key-type hook variables.
std::string hookKeyTypeTag(KeyAlgorithm algorithm);

class HookDeployer final : public ports::Deployer {
 public:
  HookDeployer(std::filesystem::path state_directory, ports::HookRunner& runner)
      : state_directory_(std::move(state_directory)), runner_(runner) {}

  Result<void> deploy(const ports::DeployRequest& request) override;

 private:
  std::filesystem::path state_directory_;
  ports::HookRunner& runner_;
};

}  // namespace daneguard::adapters::deploy
