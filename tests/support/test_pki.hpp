// A throwaway PKI made once per test process by tools/gen-test-pki.sh (the openssl CLI, not
// daneguard), so that tests can cross-check daneguard against an independent implementation.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace daneguard::testing {

/// Key types generated: "rsa2048", "ecdsa-p256", "ecdsa-p384", "ed25519".
const std::vector<std::string>& testPkiKeyTypes();

/// Folder with root.pem/.key, intermediate.pem/.key, leaf.pem/.key, chain.pem,
/// fullchain.pem and combined.pem for `key_type`. Leaf SANs: mail.example.test, mx.example.test.
std::filesystem::path testPkiDir(const std::string& key_type);

/// Absolute path of a file in the source tree's tests/data folder.
std::filesystem::path testDataPath(const std::string& relative);

}  // namespace daneguard::testing
