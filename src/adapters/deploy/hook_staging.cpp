#include "adapters/deploy/hook_staging.hpp"

#include <fmt/format.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <system_error>
#include <utility>

#include "adapters/deploy/certificate_files.hpp"
#include "adapters/files/atomic_file.hpp"
#include "adapters/files/system_error.hpp"
#include "adapters/openssl/handles.hpp"
#include "adapters/openssl/openssl_error.hpp"

namespace daneguard::adapters::deploy {
namespace {

using openssl::BioPtr;

constexpr mode_t kPrivateFileMode = 0600;
constexpr mode_t kPrivateDirectoryMode = 0700;

/// Copies a secure-memory BIO's content into SecretBytes (the BIO wipes its own buffer).
SecretBytes secretBioText(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  if (length <= 0) return {};
  return SecretBytes::copyOf(std::string_view(data, static_cast<std::size_t>(length)));
}

/// The key as DaneBot hands it to hooks (cryptography's TraditionalOpenSSL format).
Result<SecretBytes> traditionalKeyPem(const SecretBytes& pkcs8_pem) {
  const BioPtr input(
      BIO_new_mem_buf(pkcs8_pem.reveal().data(), static_cast<int>(pkcs8_pem.size())));
  const openssl::EvpPkeyPtr key(
      input ? PEM_read_bio_PrivateKey(input.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return fail(openssl::opensslError(ErrorKind::Internal, "re-reading the private key"));
  const int type = EVP_PKEY_get_base_id(key.get());
  if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC) return SecretBytes::copyOf(pkcs8_pem.reveal());
  const BioPtr output(BIO_new(BIO_s_secmem()));
  if (!output || PEM_write_bio_PrivateKey_traditional(output.get(), key.get(), nullptr, nullptr, 0,
                                                      nullptr, nullptr) != 1) {
    return fail(openssl::opensslError(ErrorKind::Internal, "PEM-encoding the private key"));
  }
  return secretBioText(output.get());
}

Result<std::filesystem::path> makePrivateDirectory(const std::filesystem::path& state_directory) {
  std::string pattern =
      (state_directory / fmt::format("{}XXXXXX", kStagingDirectoryPrefix)).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return fail(files::systemError(state_directory, "create a hook staging directory in", errno));
  }
  // mkdtemp asks for 0700, but a umask could have taken bits away; set it exactly.
  if (::chmod(pattern.c_str(), kPrivateDirectoryMode) != 0) {
    const int error_number = errno;
    ::rmdir(pattern.c_str());
    return fail(files::systemError(pattern, "set mode 0700 on", error_number));
  }
  return std::filesystem::path(pattern);
}

std::string joinHosts(const std::vector<std::string>& hosts) {
  std::string joined;
  for (const std::string& host : hosts) {
    if (!joined.empty()) joined.push_back(' ');
    joined.append(host);
  }
  return joined;
}

}  // namespace

Result<StagedCertificate> StagedCertificate::stage(const openssl::LoadedCertificate& certificate,
                                                   const std::filesystem::path& state_directory,
                                                   std::string_view service,
                                                   const std::vector<std::string>& hosts) {
  if (!certificate.private_key_pem) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("service '{}': no private key was loaded with the certificate, but "
                            "the deploy hook needs one",
                            service));
  }
  std::string fullchain;
  std::string chain;
  for (const CertificateFacts& facts : certificate.chain.certificates) {
    auto pem = certificatePem(facts);
    if (!pem) return fail(pem.error());
    fullchain += *pem;
    if (&facts != &certificate.chain.certificates.front()) chain += *pem;
  }
  auto leaf = certificatePem(certificate.chain.leaf());
  if (!leaf) return fail(leaf.error());
  auto danebot_key = traditionalKeyPem(*certificate.private_key_pem);
  if (!danebot_key) return fail(danebot_key.error());

  auto directory = makePrivateDirectory(state_directory);
  if (!directory) return fail(directory.error());
  StagedCertificate staged;  // from here on, any failure removes the directory
  staged.directory_ = std::move(*directory);
  staged.service_ = service;
  staged.hosts_ = joinHosts(hosts);
  staged.leaf_pem_ = std::move(*leaf);
  staged.danebot_key_pem_ = std::move(*danebot_key);

  const std::array<std::pair<std::filesystem::path, std::string_view>, 4> files = {{
      {staged.certificateFile(), staged.leaf_pem_},
      {staged.chainFile(), chain},
      {staged.fullchainFile(), fullchain},
      {staged.keyFile(), certificate.private_key_pem->revealText()},
  }};
  for (const auto& [path, content] : files) {
    if (auto written = files::writeFileAtomically(path, content, kPrivateFileMode); !written) {
      return fail(written.error().withContext(fmt::format("service '{}'", service)));
    }
  }
  return staged;
}

StagedCertificate::~StagedCertificate() {
  removeDirectory();
}

StagedCertificate::StagedCertificate(StagedCertificate&& other) noexcept
    : directory_(std::exchange(other.directory_, {})),
      service_(std::move(other.service_)),
      hosts_(std::move(other.hosts_)),
      leaf_pem_(std::move(other.leaf_pem_)),
      danebot_key_pem_(std::move(other.danebot_key_pem_)) {}

StagedCertificate& StagedCertificate::operator=(StagedCertificate&& other) noexcept {
  if (this != &other) {
    removeDirectory();
    directory_ = std::exchange(other.directory_, {});
    service_ = std::move(other.service_);
    hosts_ = std::move(other.hosts_);
    leaf_pem_ = std::move(other.leaf_pem_);
    danebot_key_pem_ = std::move(other.danebot_key_pem_);
  }
  return *this;
}

void StagedCertificate::removeDirectory() noexcept {
  if (directory_.empty()) return;
  std::error_code ignored;  // nothing sensible to do in a destructor; a rerun cleans up
  std::filesystem::remove_all(directory_, ignored);
  directory_.clear();
}

std::vector<ports::HookVariable> StagedCertificate::hookEnvironment() const {
  std::vector<ports::HookVariable> environment;
  environment.push_back(
      ports::HookVariable::plain("DANEGUARD_CERT_FILE", certificateFile().string()));
  environment.push_back(ports::HookVariable::plain("DANEGUARD_KEY_FILE", keyFile().string()));
  environment.push_back(ports::HookVariable::plain("DANEGUARD_CHAIN_FILE", chainFile().string()));
  environment.push_back(
      ports::HookVariable::plain("DANEGUARD_FULLCHAIN_FILE", fullchainFile().string()));
  environment.push_back(ports::HookVariable::plain("DANEGUARD_SERVICE", service_));
  environment.push_back(ports::HookVariable::plain("DANEGUARD_HOSTS", hosts_));
  environment.push_back(ports::HookVariable::plain("DANEBOT_CERT", leaf_pem_));
  environment.push_back(
      ports::HookVariable{"DANEBOT_KEY", SecretBytes::copyOf(danebot_key_pem_.reveal())});
  return environment;
}

Result<void> removeStaleHookStaging(const std::filesystem::path& state_directory) {
  std::error_code error;
  std::filesystem::directory_iterator entries(state_directory, error);
  if (error) return fail(files::systemError(state_directory, "list", error.value()));
  // The error_code overloads throughout: no exception may leave an adapter.
  for (; entries != std::filesystem::directory_iterator(); entries.increment(error)) {
    if (error) break;
    const std::filesystem::path path = entries->path();
    if (!path.filename().string().starts_with(kStagingDirectoryPrefix)) continue;
    std::filesystem::remove_all(path, error);
    if (error) return fail(files::systemError(path, "remove", error.value()));
  }
  if (error) return fail(files::systemError(state_directory, "list", error.value()));
  return {};
}

}  // namespace daneguard::adapters::deploy
