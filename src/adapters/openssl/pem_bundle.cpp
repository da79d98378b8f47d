#include "adapters/openssl/pem_bundle.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <climits>
#include <new>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "adapters/openssl/handles.hpp"
#include "adapters/openssl/openssl_error.hpp"
#include "adapters/openssl/pem_file.hpp"
#include "adapters/openssl/x509_facts.hpp"

namespace daneguard::adapters::openssl {
namespace {

constexpr std::size_t kMaxPemBlocks = 256;

enum class KeyHandling { Decode, Skip };

struct PemBlock {
  std::string_view label;
  std::string_view text;  // BEGIN line through END line, inside the caller's buffer
  int line = 0;           // 1-based line number of the BEGIN line
};

struct SourcedCertificate {
  X509Ptr certificate;
  std::string source;
  int line = 0;
};

struct SourcedKey {
  EvpPkeyPtr key;
  std::string source;
  int line = 0;
};

struct BundleParts {
  std::vector<SourcedCertificate> certificates;
  std::optional<SourcedKey> key;
};

/// What PEM_read_bio hands back; `data` may be key material, so it is wiped when freed.
struct PemContents {
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;

  PemContents() = default;
  PemContents(const PemContents&) = delete;
  PemContents& operator=(const PemContents&) = delete;
  ~PemContents() {
    OPENSSL_free(name);
    OPENSSL_free(header);
    if (data != nullptr) OPENSSL_clear_free(data, static_cast<std::size_t>(length));
  }
};

/// Labels come from the input: keep them printable and short when quoting them in messages.
std::string printableLabel(std::string_view label) {
  std::string out;
  for (const char c : label.substr(0, 40))
    out += (c >= ' ' && c <= '~') ? c : '?';
  if (label.size() > 40) out += "...";
  return out;
}

std::string blockPlace(std::string_view source, const PemBlock& block) {
  return fmt::format("{}: {} block at line {}", source, printableLabel(block.label), block.line);
}

std::string_view withoutLineEnd(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  return line;
}

/// "-----BEGIN X-----" with kind "BEGIN " gives "X".
std::optional<std::string_view> armorLabel(std::string_view line, std::string_view kind) {
  constexpr std::string_view kDashes = "-----";
  if (!line.starts_with(kDashes)) return std::nullopt;
  line.remove_prefix(kDashes.size());
  if (!line.starts_with(kind)) return std::nullopt;
  line.remove_prefix(kind.size());
  if (!line.ends_with(kDashes)) return std::nullopt;
  line.remove_suffix(kDashes.size());
  return line;
}

// Our own line scan (rather than letting PEM_read_bio skip to the next BEGIN) tells "not PEM",
// "truncated" and "mismatched END" apart, with line numbers, before OpenSSL decodes anything.
Result<std::vector<PemBlock>> splitPemBlocks(std::string_view text, std::string_view source) {
  std::vector<PemBlock> blocks;
  std::optional<PemBlock> open;
  std::size_t open_start = 0;
  int line_number = 0;
  std::size_t position = 0;
  while (position < text.size()) {
    const std::size_t newline = text.find('\n', position);
    const std::size_t line_end = newline == std::string_view::npos ? text.size() : newline;
    const std::size_t next = newline == std::string_view::npos ? text.size() : newline + 1;
    const std::string_view line = withoutLineEnd(text.substr(position, line_end - position));
    ++line_number;
    if (!open) {
      // Anything outside BEGIN/END is ignored: comments, "Bag Attributes", trailing garbage.
      if (const auto label = armorLabel(line, "BEGIN ")) {
        open = PemBlock{*label, {}, line_number};
        open_start = position;
      }
    } else if (const auto end_label = armorLabel(line, "END ")) {
      if (*end_label != open->label) {
        return fail(
            ErrorKind::InvalidInput,
            fmt::format("{} ends with a mismatched END {} line at line {}",
                        blockPlace(source, *open), printableLabel(*end_label), line_number));
      }
      open->text = text.substr(open_start, next - open_start);
      blocks.push_back(*open);
      open.reset();
      if (blocks.size() > kMaxPemBlocks) {
        return fail(ErrorKind::InvalidInput,
                    fmt::format("{}: more than {} PEM blocks", source, kMaxPemBlocks));
      }
    } else if (armorLabel(line, "BEGIN ")) {
      return fail(ErrorKind::InvalidInput,
                  fmt::format("{} is truncated: no END line before the next BEGIN at line {}",
                              blockPlace(source, *open), line_number));
    }
    position = next;
  }
  if (open) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("{} is truncated: no END line", blockPlace(source, *open)));
  }
  if (blocks.empty()) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("{}: not PEM: no \"-----BEGIN ...-----\" line found", source));
  }
  return blocks;
}

Result<void> readBlock(const PemBlock& block, std::string_view source, PemContents& contents) {
  const BioPtr bio(BIO_new_mem_buf(block.text.data(), static_cast<int>(block.text.size())));
  if (!bio) return fail(opensslError(ErrorKind::Internal, "cannot allocate a memory BIO"));
  if (PEM_read_bio(bio.get(), &contents.name, &contents.header, &contents.data, &contents.length) !=
      1) {
    return fail(opensslError(ErrorKind::InvalidInput,
                             blockPlace(source, block) + " is not valid base64 PEM"));
  }
  return {};
}

Result<X509Ptr> decodeCertificate(const PemBlock& block, std::string_view source) {
  PemContents pem;
  if (auto read = readBlock(block, source, pem); !read) return fail(std::move(read.error()));
  const unsigned char* cursor = pem.data;
  X509Ptr certificate(d2i_X509(nullptr, &cursor, pem.length));
  if (!certificate) {
    return fail(opensslError(ErrorKind::InvalidInput,
                             blockPlace(source, block) + " does not hold a DER certificate"));
  }
  if (cursor != pem.data + pem.length) {
    return fail(ErrorKind::InvalidInput,
                blockPlace(source, block) + " has bytes after the DER certificate");
  }
  return certificate;
}

// Installed as the passphrase callback so that OpenSSL never falls back to prompting on the
// terminal: daneguard runs from timers and hooks where a prompt would hang forever.
int refusePassphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) {
  return -1;
}

Error encryptedKeyError(std::string_view source, const PemBlock& block) {
  return Error{ErrorKind::InvalidInput,
               fmt::format("{}: private key at line {} is encrypted; daneguard needs it "
                           "unencrypted (it never asks for a passphrase)",
                           source, block.line)};
}

Result<EvpPkeyPtr> decodePrivateKey(const PemBlock& block, std::string_view source) {
  if (block.label == "ENCRYPTED PRIVATE KEY") return fail(encryptedKeyError(source, block));
  {
    PemContents pem;  // validates the base64 and exposes legacy "Proc-Type" headers
    if (auto read = readBlock(block, source, pem); !read) return fail(std::move(read.error()));
    if (pem.header != nullptr &&
        std::string_view(pem.header).find("ENCRYPTED") != std::string_view::npos) {
      return fail(encryptedKeyError(source, block));
    }
  }
  const BioPtr bio(BIO_new_mem_buf(block.text.data(), static_cast<int>(block.text.size())));
  if (!bio) return fail(opensslError(ErrorKind::Internal, "cannot allocate a memory BIO"));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refusePassphrase, nullptr));
  if (!key) {
    return fail(opensslError(ErrorKind::InvalidInput,
                             blockPlace(source, block) + " does not hold a usable private key"));
  }
  return key;
}

bool isPrivateKeyLabel(std::string_view label) {
  return label == "PRIVATE KEY" || label == "RSA PRIVATE KEY" || label == "EC PRIVATE KEY" ||
         label == "ENCRYPTED PRIVATE KEY";
}

/// Parameter blocks that tools put next to keys (openssl ecparam -genkey, HAProxy dhparams).
bool isHarmlessParameterLabel(std::string_view label) {
  return label == "EC PARAMETERS" || label == "DH PARAMETERS" || label == "X9.42 DH PARAMETERS";
}

Result<void> collectBlocks(std::string_view text, std::string_view source, KeyHandling keys,
                           BundleParts& parts) {
  if (text.empty()) return fail(ErrorKind::InvalidInput, fmt::format("{}: file is empty", source));
  if (text.size() > kMaxPemFileBytes) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("{}: over the 1 MiB limit for a certificate or key file", source));
  }
  auto blocks = splitPemBlocks(text, source);
  if (!blocks) return fail(std::move(blocks.error()));

  for (const PemBlock& block : *blocks) {
    if (block.label == "CERTIFICATE") {
      if (parts.certificates.size() >= kMaxCertificatesPerBundle) {
        return fail(ErrorKind::InvalidInput,
                    fmt::format("{}: more than {} certificates; no chain is that long", source,
                                kMaxCertificatesPerBundle));
      }
      auto certificate = decodeCertificate(block, source);
      if (!certificate) return fail(std::move(certificate.error()));
      parts.certificates.push_back({std::move(*certificate), std::string(source), block.line});
    } else if (isPrivateKeyLabel(block.label)) {
      if (keys == KeyHandling::Skip) continue;
      if (parts.key) {
        return fail(ErrorKind::InvalidInput,
                    fmt::format("{}: second private key at line {} (the first is in {} at line "
                                "{}); give exactly one private key",
                                source, block.line, parts.key->source, parts.key->line));
      }
      auto key = decodePrivateKey(block, source);
      if (!key) return fail(std::move(key.error()));
      parts.key = SourcedKey{std::move(*key), std::string(source), block.line};
    } else if (!isHarmlessParameterLabel(block.label)) {
      return fail(ErrorKind::InvalidInput,
                  blockPlace(source, block) +
                      " is not expected here (only CERTIFICATE and PRIVATE KEY blocks are)");
    }
  }
  return {};
}

bool isCa(X509* certificate) {
  return (X509_get_extension_flags(certificate) & EXFLAG_CA) != 0;
}

bool issues(X509* issuer, X509* subject) {
  bool linked = false;
  if (X509_check_issued(issuer, subject) == X509_V_OK) {
    EVP_PKEY* issuer_key = X509_get0_pubkey(issuer);
    linked = issuer_key != nullptr && X509_verify(subject, issuer_key) == 1;
  }
  ERR_clear_error();
  return linked;
}

std::string keyDescription(EVP_PKEY* key) {
  auto facts = publicKeyFacts(key);
  ERR_clear_error();
  return facts ? facts->description() : std::string("undecodable");
}

/// Who issued whom among the distinct certificates of a bundle (exact duplicates dropped).
class IssuerGraph {
 public:
  explicit IssuerGraph(std::vector<SourcedCertificate>& certificates) {
    for (SourcedCertificate& candidate : certificates) {
      const bool duplicate = std::any_of(nodes_.begin(), nodes_.end(), [&](const auto* kept) {
        return X509_cmp(kept->certificate.get(), candidate.certificate.get()) == 0;
      });
      if (!duplicate) nodes_.push_back(&candidate);
    }
    issued_by_.assign(size() * size(), false);
    for (std::size_t subject = 0; subject < size(); ++subject) {
      for (std::size_t issuer = 0; issuer < size(); ++issuer) {
        if (subject != issuer) {
          issued_by_[subject * size() + issuer] = issues(x509(issuer), x509(subject));
        }
      }
    }
  }

  [[nodiscard]] std::size_t size() const { return nodes_.size(); }
  [[nodiscard]] X509* x509(std::size_t node) const { return nodes_[node]->certificate.get(); }
  [[nodiscard]] const SourcedCertificate& sourced(std::size_t node) const { return *nodes_[node]; }

  /// Never true for a node and itself, so self-signed roots do not loop.
  [[nodiscard]] bool issuedBy(std::size_t subject, std::size_t issuer) const {
    return issued_by_[subject * size() + issuer];
  }

  [[nodiscard]] bool issuesNone(std::size_t issuer) const {
    for (std::size_t subject = 0; subject < size(); ++subject) {
      if (issuedBy(subject, issuer)) return false;
    }
    return true;
  }

  /// Follows issuers from `start`, taking the first unused one in input order at each step.
  [[nodiscard]] std::vector<std::size_t> chainFrom(std::size_t start) const {
    std::vector<std::size_t> chain{start};
    std::vector<bool> used(size(), false);
    used[start] = true;
    for (bool extended = true; extended;) {
      extended = false;
      for (std::size_t issuer = 0; issuer < size() && !extended; ++issuer) {
        if (!used[issuer] && issuedBy(chain.back(), issuer)) {
          chain.push_back(issuer);
          used[issuer] = true;
          extended = true;
        }
      }
    }
    return chain;
  }

 private:
  std::vector<SourcedCertificate*> nodes_;
  std::vector<bool> issued_by_;  // [subject * size() + issuer]
};

Error keyMismatchError(const IssuerGraph& graph, const SourcedKey& key) {
  // Name the certificate the operator most likely meant: a non-CA that issues nothing.
  std::size_t named = 0;
  for (std::size_t node = graph.size(); node-- > 0;) {
    if (graph.issuesNone(node) && (!isCa(graph.x509(node)) || isCa(graph.x509(named)))) {
      named = node;
    }
  }
  return Error{ErrorKind::InvalidInput,
               fmt::format("{}: private key does not match the certificate for {} ({} key vs {} "
                           "certificate)",
                           key.source, subjectOf(graph.x509(named)), keyDescription(key.key.get()),
                           keyDescription(X509_get0_pubkey(graph.x509(named))))};
}

/// With a key, the leaf is a certificate for that key; without, one that issues no other.
Result<std::vector<std::size_t>> leafCandidates(const IssuerGraph& graph,
                                                const std::optional<SourcedKey>& key) {
  std::vector<std::size_t> candidates;
  for (std::size_t node = 0; node < graph.size(); ++node) {
    if (key) {
      EVP_PKEY* public_key = X509_get0_pubkey(graph.x509(node));
      if (public_key != nullptr && EVP_PKEY_eq(public_key, key->key.get()) == 1) {
        candidates.push_back(node);
      }
      ERR_clear_error();
    } else if (graph.issuesNone(node)) {
      candidates.push_back(node);
    }
  }
  if (key && candidates.empty()) return fail(keyMismatchError(graph, *key));
  if (candidates.empty()) {  // every certificate issues another: a cross-signing loop
    for (std::size_t node = 0; node < graph.size(); ++node)
      candidates.push_back(node);
  }
  return candidates;
}

/// The longest chain wins, then a non-CA leaf, then the earliest in the input. Certificates a
/// greedy walk leaves out are reported by the caller, so nothing is dropped silently.
std::vector<std::size_t> bestChain(const IssuerGraph& graph,
                                   const std::vector<std::size_t>& candidates) {
  std::vector<std::size_t> best;
  for (const std::size_t start : candidates) {
    std::vector<std::size_t> chain = graph.chainFrom(start);
    const bool better = best.empty() || chain.size() > best.size() ||
                        (chain.size() == best.size() && isCa(graph.x509(best.front())) &&
                         !isCa(graph.x509(chain.front())));
    if (better) best = std::move(chain);
  }
  return best;
}

Result<void> checkChainIsComplete(const IssuerGraph& graph, const std::vector<std::size_t>& chain) {
  const SourcedCertificate& leaf = graph.sourced(chain.front());
  // A lone self-signed certificate is the classic DANE-EE set-up (`openssl req -x509` marks it
  // CA:TRUE by default), so it is the server's own even with the CA flag set.
  const bool lone_self_signed =
      graph.size() == 1 &&
      X509_check_issued(leaf.certificate.get(), leaf.certificate.get()) == X509_V_OK;
  if (isCa(leaf.certificate.get()) && !lone_self_signed) {
    return fail(ErrorKind::InvalidInput,
                fmt::format("{}: leaf certificate is a CA certificate ({} at line {}); the "
                            "server's own certificate is missing",
                            leaf.source, subjectOf(leaf.certificate.get()), leaf.line));
  }
  for (std::size_t node = 0; node < graph.size(); ++node) {
    if (std::find(chain.begin(), chain.end(), node) != chain.end()) continue;
    const SourcedCertificate& stray = graph.sourced(node);
    return fail(ErrorKind::InvalidInput,
                fmt::format("{}: certificate {} at line {} is not part of the chain of {}: it "
                            "neither issues nor is issued by a certificate of that chain",
                            stray.source, subjectOf(stray.certificate.get()), stray.line,
                            subjectOf(leaf.certificate.get())));
  }
  return {};
}

/// Orders certificates leaf first by issuer linkage and checks the guarantees of the header.
Result<CertificateChain> assembleChain(BundleParts& parts, std::string_view primary_source) {
  if (parts.certificates.empty()) {
    return fail(ErrorKind::InvalidInput, fmt::format("{}: no certificate found{}", primary_source,
                                                     parts.key ? " (only a private key)" : ""));
  }
  const IssuerGraph graph(parts.certificates);
  auto candidates = leafCandidates(graph, parts.key);
  if (!candidates) return fail(std::move(candidates.error()));
  const std::vector<std::size_t> order = bestChain(graph, *candidates);
  if (auto complete = checkChainIsComplete(graph, order); !complete) {
    return fail(std::move(complete.error()));
  }

  CertificateChain chain;
  for (const std::size_t node : order) {
    auto facts = certificateFacts(graph.x509(node));
    if (!facts) {
      const SourcedCertificate& sourced = graph.sourced(node);
      return fail(facts.error().kind, fmt::format("{}: certificate at line {}: {}", sourced.source,
                                                  sourced.line, facts.error().message));
    }
    chain.certificates.push_back(std::move(*facts));
  }
  return chain;
}

Result<SecretBytes> pkcs8Pem(const SourcedKey& key) {
  // Secure-heap BIO: its buffer is cleansed when freed, unlike BIO_s_mem's.
  const BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key.key.get(), nullptr, nullptr, 0, nullptr,
                                            nullptr) != 1) {
    return fail(opensslError(ErrorKind::Internal,
                             key.source + ": cannot re-encode the private key as PKCS#8"));
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  if (length <= 0 || data == nullptr) {
    return fail(ErrorKind::Internal, key.source + ": PKCS#8 encoding of the key is empty");
  }
  return SecretBytes::copyOf(std::string_view(data, static_cast<std::size_t>(length)));
}

Result<LoadedCertificate> finishLoading(BundleParts& parts, std::string_view primary_source) {
  auto chain = assembleChain(parts, primary_source);
  if (!chain) return fail(std::move(chain.error()));
  LoadedCertificate loaded;
  loaded.chain = std::move(*chain);
  loaded.key = loaded.chain.leaf().public_key;
  if (parts.key) {
    auto pem = pkcs8Pem(*parts.key);
    if (!pem) return fail(std::move(pem.error()));
    loaded.private_key_pem = std::move(*pem);
  }
  return loaded;
}

Result<void> collectFile(const std::filesystem::path& path, BundleParts& parts) {
  auto content = readPemFile(path);
  if (!content) return fail(std::move(content.error()));
  return collectBlocks(content->revealText(), path.string(), KeyHandling::Decode, parts);
}

/// A key file must contribute the key (it may hold certificates as well: a combined file).
Result<void> collectKeyFile(const std::filesystem::path& path, BundleParts& parts) {
  const bool had_key = parts.key.has_value();
  if (auto collected = collectFile(path, parts); !collected) return collected;
  if (!had_key && !parts.key) {
    return fail(ErrorKind::InvalidInput, path.string() + ": no private key found in the key file");
  }
  return {};
}

/// No exception escapes the adapter; the only ones possible here are allocation failures.
template <class Function>
auto guarded(std::string_view source, Function&& function) -> decltype(function()) {
  ERR_clear_error();  // stale reasons from earlier calls must not leak into our messages
  try {
    auto result = function();
    ERR_clear_error();
    return result;
  } catch (const std::bad_alloc&) {
    return fail(ErrorKind::Internal, fmt::format("{}: out of memory", source));
  } catch (const std::exception& error) {
    return fail(ErrorKind::Internal, fmt::format("{}: {}", source, error.what()));
  }
}

}  // namespace

Result<LoadedCertificate> loadPemBundleFromText(std::string_view text,
                                                std::string_view source_name) {
  return guarded(source_name, [&]() -> Result<LoadedCertificate> {
    BundleParts parts;
    if (auto collected = collectBlocks(text, source_name, KeyHandling::Decode, parts); !collected) {
      return fail(std::move(collected.error()));
    }
    return finishLoading(parts, source_name);
  });
}

Result<LoadedCertificate> loadPemBundle(const std::filesystem::path& path) {
  auto content = readPemFile(path);
  if (!content) return fail(std::move(content.error()));
  return loadPemBundleFromText(content->revealText(), path.string());
}

Result<CertificateChain> loadCertificateChainFromText(std::string_view text,
                                                      std::string_view source_name) {
  return guarded(source_name, [&]() -> Result<CertificateChain> {
    BundleParts parts;
    if (auto collected = collectBlocks(text, source_name, KeyHandling::Skip, parts); !collected) {
      return fail(std::move(collected.error()));
    }
    return assembleChain(parts, source_name);
  });
}

Result<CertificateChain> loadCertificateChain(const std::filesystem::path& path) {
  auto content = readPemFile(path);
  if (!content) return fail(std::move(content.error()));
  return loadCertificateChainFromText(content->revealText(), path.string());
}

Result<LoadedCertificate> loadCertificateFiles(const CertificateFiles& files) {
  const std::string primary = files.certificate.string();
  return guarded(primary, [&]() -> Result<LoadedCertificate> {
    BundleParts parts;
    for (const auto& path : {std::optional(files.certificate), files.chain, files.fullchain}) {
      if (!path) continue;
      if (auto collected = collectFile(*path, parts); !collected) return fail(collected.error());
    }
    if (files.private_key) {
      if (auto collected = collectKeyFile(*files.private_key, parts); !collected) {
        return fail(collected.error());
      }
    }
    return finishLoading(parts, primary);
  });
}

}  // namespace daneguard::adapters::openssl
