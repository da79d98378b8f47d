#include "app/verify.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/digest.hpp"
#include "core/hex.hpp"
#include "core/tlsa/tlsa_match.hpp"
#include "core/tlsa/tlsa_mnemonics.hpp"

namespace daneguard::app {
namespace {

using ports::DnssecStatus;
using ports::ProbeKeyType;

struct Host {
  std::string name;
  std::uint16_t port = 25;
};

/// Literal addresses are connected to as they are: no address lookup, no SNI.
bool isIpLiteral(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return true;
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isdigit(c) != 0 || c == '.';
  });
}

std::string withoutTrailingDot(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

std::string tlsaOwner(const Host& host) {
  return "_" + std::to_string(host.port) + "._tcp." + withoutTrailingDot(host.name) + ".";
}

std::string keyTypeOfLeaf(const CertificateChain& chain) {
  if (chain.certificates.empty()) return "unknown";
  return std::string(keyFamilyName(chain.leaf().public_key.algorithm));
}

std::string depthWords(int depth) {
  return (depth == 0 ? std::string("leaf") : "issuer") + " (depth " + std::to_string(depth) + ")";
}

/// The record an operator would publish for what is served now, to make a FAIL actionable.
std::string servedLeafRecord(const CertificateChain& chain) {
  if (chain.certificates.empty()) return "no certificate";
  return "served leaf is " + chain.leaf().public_key.description() + ", 3 1 1 " +
         toHex(sha256(chain.leaf().public_key.spki_der));
}

/// Which rank wins when endpoints disagree: the most alarming outcome decides the exit status.
int severity(int exit_code) {
  switch (exit_code) {
    case kVerifyAuthenticated:
      return 0;
    case kVerifyNoDane:
      return 1;
    case kVerifyAuthenticationFailed:
      return 3;
    case kVerifyBogus:
      return 4;
    default:
      return 2;  // DNS errors (sysexits)
  }
}

class Verifier {
 public:
  Verifier(const VerifyRequest& request, ports::DaneLookup& lookup, ports::TlsProbe& probe)
      : request_(request), lookup_(lookup), probe_(probe) {}

  Result<VerifyReport> run() {
    std::vector<Host> hosts;
    if (request_.mx_domain) {
      auto mx_hosts = mxHosts(*request_.mx_domain);
      if (!mx_hosts) return fail(std::move(mx_hosts.error()));
      hosts = std::move(*mx_hosts);
    } else {
      if (isIpLiteral(request_.host) && request_.given_tlsa.empty()) {
        return fail(ErrorKind::Usage, "'" + request_.host +
                                          "' is an address: DANE needs a host name to look up "
                                          "TLSA records; give the name or --tlsa");
      }
      hosts.push_back({request_.host, request_.port});
    }
    for (const Host& host : hosts)
      verifyHost(host);
    return std::move(report_);
  }

 private:
  void add(VerifyLine line, int exit_code) {
    if (severity(exit_code) > severity(report_.exit_code)) report_.exit_code = exit_code;
    report_.lines.push_back(std::move(line));
  }
  void addSimple(VerifyStatus status, std::string endpoint, std::string detail, int exit_code) {
    VerifyLine line;
    line.status = status;
    line.endpoint = std::move(endpoint);
    line.detail = std::move(detail);
    add(std::move(line), exit_code);
  }

  Result<std::vector<Host>> mxHosts(const std::string& domain) {
    auto mx = lookup_.mx(domain);
    if (!mx) return fail(std::move(mx.error()));
    std::vector<Host> hosts;
    if (mx->status == DnssecStatus::Bogus) {
      addSimple(VerifyStatus::Bogus, domain,
                "MX RRset fails DNSSEC validation (" + mx->why_bogus +
                    "): DANE clients will not deliver to this domain",
                kVerifyBogus);
      return hosts;
    }
    if (!mx->exists) {
      hosts.push_back({domain, 25});  // RFC 5321 §5.1: no MX means the domain itself
      return hosts;
    }
    if (mx->hosts.size() == 1 && mx->hosts.front().host.empty()) {
      addSimple(VerifyStatus::NoDane, domain, "null MX (RFC 7505): the domain accepts no mail",
                kVerifyNoDane);
      return hosts;
    }
    if (mx->status == DnssecStatus::Insecure) {
      addSimple(VerifyStatus::Warn, domain,
                "MX RRset is not DNSSEC-signed: an attacker can redirect mail to other hosts, and "
                "DANE clients do not rely on it (RFC 7672 §2.2.1)",
                kVerifyAuthenticated);
    }
    for (const ports::MxHost& mx_host : mx->hosts) {
      if (mx_host.host.empty()) continue;
      const bool seen = std::any_of(hosts.begin(), hosts.end(),
                                    [&](const Host& host) { return host.name == mx_host.host; });
      if (!seen) hosts.push_back({mx_host.host, 25});
    }
    return hosts;
  }

  void verifyHost(const Host& host) {
    const std::string endpoint = host.name + ":" + std::to_string(host.port);
    const bool given = !request_.given_tlsa.empty();
    // TLSA first: for an unsigned zone "no DANE: zone unsigned" is the finding that matters,
    // not that its address records are unsigned too.
    std::vector<TlsaRecord> records = request_.given_tlsa;
    if (!given) {
      auto found = validatedTlsa(host, endpoint);
      if (!found) return;
      records = std::move(*found);
    }

    std::vector<std::string> addresses;
    if (isIpLiteral(host.name)) {
      addresses.push_back(host.name);
    } else {
      auto found = lookup_.addresses(host.name);
      if (!found) {
        addSimple(VerifyStatus::Error, endpoint, found.error().message,
                  exitCodeFor(found.error().kind));
        return;
      }
      if (found->status == DnssecStatus::Bogus) {
        addSimple(VerifyStatus::Bogus, endpoint,
                  "address records of " + host.name + " fail DNSSEC validation (" +
                      found->why_bogus + ")",
                  kVerifyBogus);
        return;
      }
      if (found->addresses.empty()) {
        addSimple(VerifyStatus::Fail, endpoint, "no A or AAAA records for " + host.name,
                  kVerifyAuthenticationFailed);
        return;
      }
      if (!given && found->status == DnssecStatus::Insecure) {
        addSimple(VerifyStatus::NoDane, endpoint,
                  "no DANE: the address records of " + host.name +
                      " are not DNSSEC-signed, so DANE clients do not look up TLSA "
                      "(RFC 7672 §2.2.2)",
                  kVerifyNoDane);
        return;
      }
      addresses = std::move(found->addresses);
    }
    for (const std::string& address : addresses)
      verifyAddress(host, address, records);
  }

  /// The secure, non-empty TLSA RRset of `host`, or nullopt after reporting why there is none.
  std::optional<std::vector<TlsaRecord>> validatedTlsa(const Host& host,
                                                       const std::string& endpoint) {
    const std::string owner = tlsaOwner(host);
    auto tlsa = lookup_.tlsa(owner);
    if (!tlsa) {
      addSimple(VerifyStatus::Error, endpoint, tlsa.error().message,
                exitCodeFor(tlsa.error().kind));
      return std::nullopt;
    }
    if (tlsa->status == DnssecStatus::Bogus) {
      addSimple(VerifyStatus::Bogus, endpoint,
                "TLSA " + owner + " fails DNSSEC validation (" + tlsa->why_bogus +
                    "): DANE clients will not connect",
                kVerifyBogus);
      return std::nullopt;
    }
    if (tlsa->status == DnssecStatus::Insecure) {
      addSimple(VerifyStatus::NoDane, endpoint,
                "no DANE: zone unsigned (the TLSA lookup for " + owner + " is not DNSSEC-secure)",
                kVerifyNoDane);
      return std::nullopt;
    }
    if (!tlsa->exists || tlsa->records.empty()) {
      addSimple(VerifyStatus::NoDane, endpoint,
                "no DANE: no TLSA records at " + owner + " (absence proven by DNSSEC)",
                kVerifyNoDane);
      return std::nullopt;
    }
    return std::move(tlsa->records);
  }

  void verifyAddress(const Host& host, const std::string& address,
                     const std::vector<TlsaRecord>& records) {
    const bool default_key_types = request_.key_types.empty();
    const std::vector<ProbeKeyType> key_types =
        default_key_types ? std::vector<ProbeKeyType>{ProbeKeyType::Rsa, ProbeKeyType::Ecdsa}
                          : request_.key_types;
    std::vector<std::pair<ProbeKeyType, Result<ports::ProbeResult>>> outcomes;
    for (const ProbeKeyType key_type : key_types) {
      ports::ProbeTarget target;
      target.host = host.name;
      target.address = address;
      target.port = host.port;
      target.protocol = request_.protocol;
      target.sni = isIpLiteral(host.name) ? std::string() : withoutTrailingDot(host.name);
      target.ehlo_name = request_.ehlo_name;
      target.key_type = key_type;
      target.tlsa = records;
      target.timeout = request_.timeout;
      outcomes.emplace_back(key_type, probe_.probe(target));
    }
    const bool any_handshake =
        std::any_of(outcomes.begin(), outcomes.end(),
                    [](const auto& outcome) { return outcome.second.has_value(); });
    std::vector<Bytes> reported_leaves;
    for (auto& [key_type, outcome] : outcomes) {
      const std::string endpoint = host.name + "[" + address + "]:" + std::to_string(host.port);
      if (!outcome) {
        VerifyLine line;
        line.endpoint = endpoint;
        line.key_type = std::string(probeKeyTypeName(key_type));
        line.detail = outcome.error().message;
        if (default_key_types && any_handshake) {
          // The server answered another key type: it simply has no certificate of this one.
          line.status = VerifyStatus::Skip;
          line.detail = "no " + line.key_type + " certificate offered (" + line.detail + ")";
          add(std::move(line), kVerifyAuthenticated);
        } else {
          line.status = VerifyStatus::Fail;
          add(std::move(line), kVerifyAuthenticationFailed);
        }
        continue;
      }
      const ports::ProbeResult& result = *outcome;
      const Bytes leaf =
          result.presented.certificates.empty() ? Bytes{} : result.presented.leaf().der;
      if (default_key_types &&
          std::find(reported_leaves.begin(), reported_leaves.end(), leaf) != reported_leaves.end())
        continue;  // the same certificate again: one line per distinct certificate
      reported_leaves.push_back(leaf);
      reportHandshake(endpoint,
                      key_type == ProbeKeyType::Any || default_key_types
                          ? keyTypeOfLeaf(result.presented)
                          : std::string(probeKeyTypeName(key_type)),
                      result, records);
    }
  }

  void reportHandshake(const std::string& endpoint, const std::string& key_type,
                       const ports::ProbeResult& result, const std::vector<TlsaRecord>& records) {
    VerifyLine line;
    line.endpoint = endpoint;
    line.key_type = key_type;
    line.tls_version = result.tls_version;
    if (!result.dane.authenticated) {
      line.status = VerifyStatus::Fail;
      line.detail =
          "no TLSA record matches the chain (" +
          (result.dane.reason.empty() ? std::string("no reason given") : result.dane.reason) +
          "; " + servedLeafRecord(result.presented) + ")";
      add(std::move(line), kVerifyAuthenticationFailed);
      return;
    }
    line.status = VerifyStatus::Ok;
    line.matched = result.dane.matched;
    line.depth = result.dane.depth;
    line.detail = result.tls_version + " " +
                  (result.dane.matched ? tlsaParametersNumbers(result.dane.matched->parameters)
                                       : std::string("?")) +
                  " matched " + depthWords(result.dane.depth);
    add(std::move(line), kVerifyAuthenticated);

    // RFC 7671 §8: a client that supports only some parameter combinations must still find a
    // match, so every combination published has to match what is served.
    const TlsaMatchReport report = matchTlsaRecords(result.presented, records);
    for (const TlsaCombinationMatch& combination : report.combinations) {
      if (combination.matches()) continue;
      VerifyLine warning;
      warning.status = VerifyStatus::Warn;
      warning.endpoint = endpoint;
      warning.key_type = key_type;
      warning.detail = fmt::format(
          "RFC 7671 §8: none of the {} {} ({}) record(s) matches the served chain; clients that "
          "use only these parameters fail: fix or remove them",
          combination.record_count, tlsaParametersNumbers(combination.parameters),
          tlsaParametersName(combination.parameters));
      add(std::move(warning), kVerifyAuthenticated);
    }
  }

  const VerifyRequest& request_;
  ports::DaneLookup& lookup_;
  ports::TlsProbe& probe_;
  VerifyReport report_;
};

}  // namespace

std::string_view verifyStatusWord(VerifyStatus status) {
  switch (status) {
    case VerifyStatus::Ok:
      return "OK";
    case VerifyStatus::Fail:
      return "FAIL";
    case VerifyStatus::Warn:
      return "WARN";
    case VerifyStatus::Skip:
      return "SKIP";
    case VerifyStatus::NoDane:
      return "NODANE";
    case VerifyStatus::Bogus:
      return "BOGUS";
    case VerifyStatus::Error:
      return "ERROR";
  }
  return "ERROR";
}

std::string formatVerifyLine(const VerifyLine& line) {
  std::string out = fmt::format("{:<6} {}", verifyStatusWord(line.status), line.endpoint);
  if (!line.key_type.empty()) out += " " + line.key_type;
  out += (line.status == VerifyStatus::Ok ? " " : ": ") + line.detail;
  return out;
}

std::string_view probeKeyTypeName(ProbeKeyType key_type) {
  switch (key_type) {
    case ProbeKeyType::Any:
      return "any";
    case ProbeKeyType::Rsa:
      return "rsa";
    case ProbeKeyType::Ecdsa:
      return "ecdsa";
    case ProbeKeyType::Ed25519:
      return "ed25519";
  }
  return "any";
}

Result<std::vector<ProbeKeyType>> parseProbeKeyTypes(std::string_view text) {
  std::vector<ProbeKeyType> key_types;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    std::string word(text.substr(start, comma - start));
    std::transform(word.begin(), word.end(), word.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::optional<ProbeKeyType> parsed;
    for (const ProbeKeyType candidate :
         {ProbeKeyType::Any, ProbeKeyType::Rsa, ProbeKeyType::Ecdsa, ProbeKeyType::Ed25519}) {
      if (word == probeKeyTypeName(candidate)) parsed = candidate;
    }
    if (!parsed) {
      return fail(ErrorKind::Usage, "--key-types: '" + word +
                                        "' is not a key type (any, or a list of rsa, ecdsa, "
                                        "ed25519 separated by commas)");
    }
    if (*parsed == ProbeKeyType::Any && (start != 0 || comma != text.size()))
      return fail(ErrorKind::Usage, "--key-types: 'any' cannot be combined with other types");
    if (std::find(key_types.begin(), key_types.end(), *parsed) == key_types.end())
      key_types.push_back(*parsed);
    start = comma + 1;
  }
  return key_types;
}

Result<VerifyReport> runVerify(const VerifyRequest& request, ports::DaneLookup& lookup,
                               ports::TlsProbe& probe) {
  return Verifier(request, lookup, probe).run();
}

}  // namespace daneguard::app
