#include "adapters/tls/openssl_tls_probe.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <pthread.h>
#include <signal.h>

#include <ctime>

#include "adapters/openssl/handles.hpp"
#include "adapters/openssl/openssl_error.hpp"
#include "adapters/openssl/x509_facts.hpp"
#include "adapters/tls/probe_connection.hpp"
#include "adapters/tls/starttls_dialogue.hpp"

namespace daneguard::adapters::tls {
namespace {

using ports::ProbeKeyType;
using ports::ProbeResult;
using ports::ProbeTarget;

/// OpenSSL writes to the socket with write(2): a server hanging up mid-handshake would raise
/// SIGPIPE. Blocking it in this thread for the probe (and discarding one that became pending)
/// turns that into an EPIPE error without touching the process-wide disposition.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_only, &previous_);
  }
  ~SigpipeBlock() {
    if (!was_pending_) {
      sigset_t pipe_only;
      sigemptyset(&pipe_only);
      sigaddset(&pipe_only, SIGPIPE);
      const timespec no_wait{0, 0};
      while (sigtimedwait(&pipe_only, nullptr, &no_wait) > 0) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t previous_{};
  bool was_pending_ = false;
};

/// Alerts seen during the handshake, recorded by the info callback: the server's alert is the
/// operator's best clue ("handshake failure", "protocol version").
struct AlertLog {
  std::string received;
  std::string sent;
};

void recordAlert(const SSL* ssl, int where, int value) {
  if ((where & SSL_CB_ALERT) == 0) return;
  auto* log = static_cast<AlertLog*>(SSL_get_app_data(ssl));
  if (log == nullptr) return;
  std::string& slot = (where & SSL_CB_READ) != 0 ? log->received : log->sent;
  if (slot.empty()) slot = SSL_alert_desc_string_long(value);
}

std::string_view keyTypeName(ProbeKeyType key_type) {
  switch (key_type) {
    case ProbeKeyType::Rsa:
      return "RSA";
    case ProbeKeyType::Ecdsa:
      return "ECDSA";
    case ProbeKeyType::Ed25519:
      return "Ed25519";
    case ProbeKeyType::Any:
      break;
  }
  return "any";
}

bool leafHasKeyType(const CertificateFacts& leaf, ProbeKeyType key_type) {
  switch (leaf.public_key.algorithm) {
    case KeyAlgorithm::Rsa:
      return key_type == ProbeKeyType::Rsa;
    case KeyAlgorithm::EcdsaP256:
    case KeyAlgorithm::EcdsaP384:
    case KeyAlgorithm::EcdsaP521:
      return key_type == ProbeKeyType::Ecdsa;
    case KeyAlgorithm::Ed25519:
      return key_type == ProbeKeyType::Ed25519;
    case KeyAlgorithm::Ed448:
    case KeyAlgorithm::Other:
      break;
  }
  return false;
}

/// TLS 1.2 chooses the certificate by cipher suite too; TLS 1.3 only by signature algorithm.
const char* cipherListFor(ProbeKeyType key_type) {
  switch (key_type) {
    case ProbeKeyType::Rsa:
      return "DEFAULT:!aECDSA";
    case ProbeKeyType::Ecdsa:
    case ProbeKeyType::Ed25519:
      return "DEFAULT:!aRSA";
    case ProbeKeyType::Any:
      break;
  }
  return nullptr;
}

Result<void> restrictKeyType(SSL* ssl, ProbeKeyType key_type) {
  if (key_type == ProbeKeyType::Any) return {};
  const std::string sigalgs = signatureAlgorithmsFor(key_type);
  if (SSL_set1_sigalgs_list(ssl, sigalgs.c_str()) != 1 ||
      SSL_set_cipher_list(ssl, cipherListFor(key_type)) != 1)
    return fail(openssl::opensslError(
        ErrorKind::Internal,
        "restricting the handshake to " + std::string(keyTypeName(key_type)) + " certificates"));
  return {};
}

/// Hands the records to OpenSSL; returns how many it can use (0 = it would not do DANE at all).
Result<int> addTlsaRecords(SSL* ssl, const ProbeTarget& target, const std::string& base_domain) {
  if (SSL_dane_enable(ssl, base_domain.c_str()) <= 0)
    return fail(openssl::opensslError(ErrorKind::Internal, "enabling DANE"));
  // RFC 7671 §5.1 / RFC 7672 §3.1.1: a DANE-EE(3) match authenticates the key, names or not.
  SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  int usable = 0;
  for (const TlsaRecord& record : target.tlsa) {
    const int added = SSL_dane_tlsa_add(ssl, static_cast<std::uint8_t>(record.parameters.usage),
                                        static_cast<std::uint8_t>(record.parameters.selector),
                                        static_cast<std::uint8_t>(record.parameters.matching_type),
                                        record.data.data(), record.data.size());
    if (added > 0) ++usable;
    // 0 = unusable parameters (RFC 7671 §5: ignore it); < 0 = malformed data (e.g. a digest of
    // the wrong length): also not usable, and OpenSSL's reason is not worth failing the probe.
    if (added <= 0) ERR_clear_error();
  }
  return usable;
}

ports::DaneVerdict daneVerdict(SSL* ssl, int usable_records, std::size_t record_count) {
  ports::DaneVerdict verdict;
  if (usable_records == 0) {
    verdict.reason = "none of the " + std::to_string(record_count) +
                     " TLSA records is usable (unsupported usage, selector or matching type, "
                     "or malformed data)";
    return verdict;
  }
  const long result = SSL_get_verify_result(ssl);
  std::uint8_t usage = 0;
  std::uint8_t selector = 0;
  std::uint8_t matching_type = 0;
  const unsigned char* data = nullptr;
  std::size_t length = 0;
  const int depth = SSL_get0_dane_tlsa(ssl, &usage, &selector, &matching_type, &data, &length);
  if (result == X509_V_OK && depth >= 0 && data != nullptr) {
    verdict.authenticated = true;
    verdict.depth = depth;
    verdict.matched =
        TlsaRecord{{static_cast<TlsaUsage>(usage), static_cast<TlsaSelector>(selector),
                    static_cast<TlsaMatchingType>(matching_type)},
                   Bytes(data, data + length)};
    return verdict;
  }
  verdict.reason = result != X509_V_OK ? std::string(X509_verify_cert_error_string(result)) +
                                             " (X509 verify error " + std::to_string(result) + ")"
                                       : "no TLSA record matched the chain";
  return verdict;
}

/// Why the handshake failed, in the order of usefulness: the server's alert, then OpenSSL's
/// own reasons, then the socket's.
Error handshakeError(const AlertLog& alerts, int ssl_error, ProbeKeyType key_type) {
  std::string why;
  ErrorKind kind = ErrorKind::ProtocolViolation;
  const std::string reasons = openssl::drainOpensslErrors();
  if (!alerts.received.empty()) {
    why = "alert " + alerts.received;
    kind = ErrorKind::Rejected;
  } else if (!reasons.empty()) {
    why = reasons;
  } else if (ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_ZERO_RETURN) {
    why = "the server closed the connection";
  } else {
    why = "OpenSSL error " + std::to_string(ssl_error);
  }
  if (!alerts.sent.empty() && alerts.received.empty()) why += " (sent alert " + alerts.sent + ")";
  if (key_type != ProbeKeyType::Any && kind == ErrorKind::Rejected)
    why += " (the server may have no " + std::string(keyTypeName(key_type)) + " certificate)";
  return Error{kind, "TLS handshake failed: " + why};
}

Result<CertificateChain> presentedChain(SSL* ssl) {
  CertificateChain chain;
  STACK_OF(X509)* sent = SSL_get_peer_cert_chain(ssl);  // owned by ssl; leaf first on a client
  const int count = sent == nullptr ? 0 : sk_X509_num(sent);
  for (int i = 0; i < count; ++i) {
    auto facts = openssl::certificateFacts(sk_X509_value(sent, i));
    if (!facts)
      return fail(facts.error().kind, "certificate " + std::to_string(i) +
                                          " of the chain sent: " + facts.error().message);
    chain.certificates.push_back(std::move(*facts));
  }
  if (chain.certificates.empty())
    return fail(ErrorKind::ProtocolViolation, "the server sent no certificate");
  return chain;
}

Result<ProbeResult> probeUnprefixed(const ProbeTarget& target,
                                    const OpenSslTlsProbeOptions& options) {
  auto connection = ProbeConnection::open(target.address, target.port, target.timeout);
  if (!connection) return fail(connection.error());

  connection->setStep("STARTTLS");
  const StartTlsIdentity identity{target.ehlo_name.empty() ? "localhost" : target.ehlo_name,
                                  !target.xmpp_domain.empty()
                                      ? target.xmpp_domain
                                      : (!target.sni.empty() ? target.sni : target.host)};
  if (auto negotiated = negotiateStartTls(*connection, target.protocol, identity); !negotiated)
    return fail(negotiated.error());
  if (connection->pendingBytes() != 0)
    return fail(ErrorKind::ProtocolViolation,
                "STARTTLS: the server sent " + std::to_string(connection->pendingBytes()) +
                    " more bytes before the TLS handshake (a plaintext injection, or a broken "
                    "server)");

  connection->setStep("TLS handshake");
  openssl::SslCtxPtr context(SSL_CTX_new(TLS_client_method()));
  if (!context || SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION) != 1 ||
      SSL_CTX_dane_enable(context.get()) <= 0)
    return fail(openssl::opensslError(ErrorKind::Internal, "setting up the TLS client"));
  if (!target.tlsa.empty()) {
    // Only PKIX-TA/PKIX-EE records consult the trust store; DANE-TA/EE never do.
    const int loaded = options.ca_file ? SSL_CTX_load_verify_locations(
                                             context.get(), options.ca_file->c_str(), nullptr)
                                       : SSL_CTX_set_default_verify_paths(context.get());
    if (loaded != 1 && options.ca_file)
      return fail(openssl::opensslError(ErrorKind::NotFound,
                                        "loading CA file " + options.ca_file->string()));
    ERR_clear_error();  // a missing default bundle only matters for usages 0 and 1
  }
  openssl::SslPtr ssl(SSL_new(context.get()));
  if (!ssl || SSL_set_fd(ssl.get(), connection->fd()) != 1)
    return fail(openssl::opensslError(ErrorKind::Internal, "setting up the TLS client"));
  AlertLog alerts;
  SSL_set_app_data(ssl.get(), &alerts);
  SSL_set_info_callback(ssl.get(), recordAlert);
  SSL_set_verify(ssl.get(), SSL_VERIFY_NONE, nullptr);  // a mismatch is a verdict, not an error
  if (!target.sni.empty() && SSL_set_tlsext_host_name(ssl.get(), target.sni.c_str()) != 1)
    return fail(
        openssl::opensslError(ErrorKind::InvalidInput, "SNI name \"" + target.sni + "\" rejected"));
  if (auto restricted = restrictKeyType(ssl.get(), target.key_type); !restricted)
    return fail(restricted.error());
  int usable_records = 0;
  if (!target.tlsa.empty()) {
    const std::string base_domain =
        !target.sni.empty() ? target.sni : (!target.host.empty() ? target.host : target.address);
    auto usable = addTlsaRecords(ssl.get(), target, base_domain);
    if (!usable) return fail(usable.error());
    usable_records = *usable;
  }

  ERR_clear_error();
  for (;;) {
    const int done = SSL_connect(ssl.get());
    if (done == 1) break;
    const int error = SSL_get_error(ssl.get(), done);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      if (auto ready = connection->waitFor(error == SSL_ERROR_WANT_WRITE); !ready)
        return fail(ready.error());
      continue;
    }
    return fail(handshakeError(alerts, error, target.key_type));
  }

  ProbeResult result;
  result.target = target;
  result.tls_version = SSL_get_version(ssl.get());
  result.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl.get()));
  auto chain = presentedChain(ssl.get());
  if (!chain) return fail(chain.error());
  result.presented = std::move(*chain);
  if (target.key_type != ProbeKeyType::Any &&
      !leafHasKeyType(result.presented.leaf(), target.key_type))
    return fail(ErrorKind::ProtocolViolation, "asked for an " +
                                                  std::string(keyTypeName(target.key_type)) +
                                                  " certificate, the server presented " +
                                                  result.presented.leaf().public_key.description());
  if (!target.tlsa.empty())
    result.dane = daneVerdict(ssl.get(), usable_records, target.tlsa.size());
  SSL_shutdown(ssl.get());  // a courtesy close_notify; the server's answer does not matter
  ERR_clear_error();
  return result;
}

}  // namespace

std::string signatureAlgorithmsFor(ProbeKeyType key_type) {
  switch (key_type) {
    case ProbeKeyType::Rsa:
      return "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:"
             "rsa_pkcs1_sha256:rsa_pkcs1_sha384:rsa_pkcs1_sha512";
    case ProbeKeyType::Ecdsa:
      return "ecdsa_secp256r1_sha256:ecdsa_secp384r1_sha384:ecdsa_secp521r1_sha512";
    case ProbeKeyType::Ed25519:
      return "ed25519";
    case ProbeKeyType::Any:
      break;
  }
  return "";
}

Result<ProbeResult> OpenSslTlsProbe::probe(const ProbeTarget& target) {
  const SigpipeBlock no_sigpipe;
  ERR_clear_error();  // stale reasons from elsewhere must not end up in this probe's message
  auto result = probeUnprefixed(target, options_);
  if (!result) return fail(std::move(result.error()).withContext(target.describe()));
  return result;
}

}  // namespace daneguard::adapters::tls
