#include "adapters/resolver/unbound_dane_lookup.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "adapters/resolver/rdata_decoding.hpp"

namespace daneguard::adapters::resolver {
namespace {

using ports::DnssecStatus;

constexpr int kTypeA = 1;
constexpr int kTypeMx = 15;
constexpr int kTypeAaaa = 28;
constexpr int kTypeTlsa = 52;
constexpr int kClassIn = 1;
constexpr int kRcodeServFail = 2;
constexpr int kRcodeNxDomain = 3;

std::string typeName(int type) {
  switch (type) {
    case kTypeA:
      return "A";
    case kTypeMx:
      return "MX";
    case kTypeAaaa:
      return "AAAA";
    case kTypeTlsa:
      return "TLSA";
    default:
      return "TYPE" + std::to_string(type);
  }
}

/// libunbound's "IP@PORT" server syntax.
std::string unboundAddress(const ports::DnsServer& server) {
  return server.host + "@" + std::to_string(server.port);
}

bool isLoopback(const ports::DnsServer& server) {
  return server.host == "::1" || server.host.starts_with("127.") || server.host == "localhost";
}

Result<void> check(int status, const std::string& what) {
  if (status == 0) return {};
  return fail(ErrorKind::Config, "libunbound: " + what + ": " + ub_strerror(status));
}

struct Pending {
  bool done = false;
  int error = 0;
  UbResultPtr result;
};

void onResult(void* data, int error, ub_result* result) {
  auto* pending = static_cast<Pending*>(data);
  pending->done = true;
  pending->error = error;
  pending->result.reset(result);
}

}  // namespace

struct UnboundDaneLookup::Answer {
  int rcode = 0;
  DnssecStatus status = DnssecStatus::Insecure;
  std::string why_bogus;
  std::vector<Bytes> data;  // RDATA of the answer (after CNAMEs), empty for NXDOMAIN/NODATA
  std::chrono::seconds ttl{0};
};

Result<std::unique_ptr<UnboundDaneLookup>> UnboundDaneLookup::create(UnboundLookupOptions options) {
  UbCtxPtr context(ub_ctx_create());
  if (!context) return fail(ErrorKind::Internal, "libunbound: could not create a context");
  // Answers come back on ub_fd() from a thread, so that a lookup can be abandoned at our own
  // deadline; the default (a forked process) would not survive a sanitizer build well.
  if (auto ok = check(ub_ctx_async(context.get(), 1), "enabling threads"); !ok)
    return fail(ok.error());

  bool queries_loopback = false;
  for (const StubZone& stub : options.stub_zones) {
    const std::string zone = canonicalOwner(stub.zone);
    // Names below test., invalid., localhost. etc. are answered locally by default (RFC 6761);
    // a zone the operator points at servers must reach them.
    if (auto ok =
            check(ub_ctx_set_option(context.get(), "local-zone:", (zone + " transparent").c_str()),
                  "local-zone for stub zone " + zone);
        !ok)
      return fail(ok.error());
    for (const ports::DnsServer& server : stub.servers) {
      queries_loopback = queries_loopback || isLoopback(server);
      if (auto ok =
              check(ub_ctx_set_stub(context.get(), zone.c_str(), unboundAddress(server).c_str(), 0),
                    "stub zone " + zone + " at " + server.toString());
          !ok)
        return fail(ok.error());
    }
  }
  if (options.forwarder) {
    queries_loopback = queries_loopback || isLoopback(*options.forwarder);
    if (auto ok = check(ub_ctx_set_fwd(context.get(), unboundAddress(*options.forwarder).c_str()),
                        "forwarder " + options.forwarder->toString());
        !ok)
      return fail(ok.error());
  }
  if (queries_loopback) {
    if (auto ok = check(ub_ctx_set_option(context.get(), "do-not-query-localhost:", "no"),
                        "do-not-query-localhost");
        !ok)
      return fail(ok.error());
  }

  const bool default_anchor = options.trust_anchor_files.empty();
  if (default_anchor) options.trust_anchor_files.push_back(kSystemRootTrustAnchor);
  std::string anchors;
  for (const std::filesystem::path& file : options.trust_anchor_files) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(file, error)) {
      return fail(
          ErrorKind::NotFound,
          "trust anchor file " + file.string() + " does not exist" +
              (default_anchor ? " (Debian package dns-root-data; or pass --trust-anchor)" : ""));
    }
    if (auto ok = check(ub_ctx_add_ta_file(context.get(), file.c_str()),
                        "reading trust anchor file " + file.string());
        !ok)
      return fail(ok.error());
    anchors += (anchors.empty() ? "" : ", ") + file.string();
  }
  for (const auto& [name, value] : options.unbound_options) {
    if (auto ok = check(ub_ctx_set_option(context.get(), name.c_str(), value.c_str()),
                        "option " + name + " " + value);
        !ok)
      return fail(ok.error());
  }

  std::string description = options.forwarder
                                ? "libunbound via forwarder " + options.forwarder->toString()
                                : std::string("libunbound (recursion from the root");
  if (options.forwarder) description += " (validating";
  for (const StubZone& stub : options.stub_zones) {
    description += ", stub " + canonicalOwner(stub.zone) + " at ";
    for (std::size_t i = 0; i < stub.servers.size(); ++i)
      description += (i == 0 ? "" : " ") + stub.servers[i].toString();
  }
  description += ", trust anchor " + anchors + ")";
  return std::unique_ptr<UnboundDaneLookup>(
      new UnboundDaneLookup(std::move(context), std::move(description), options.timeout));
}

Result<UnboundDaneLookup::Answer> UnboundDaneLookup::resolve(const std::string& name, int type) {
  const std::string what = "looking up " + name + " " + typeName(type) + " with " + description_;
  Pending pending;
  int async_id = 0;
  if (const int status = ub_resolve_async(context_.get(), name.c_str(), type, kClassIn, &pending,
                                          &onResult, &async_id);
      status != 0) {
    return fail(ErrorKind::Transient, what + ": " + ub_strerror(status));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  while (!pending.done) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ub_cancel(context_.get(), async_id);
      return fail(ErrorKind::Transient,
                  what + ": no answer within " + std::to_string(timeout_.count()) + " ms");
    }
    pollfd ready{ub_fd(context_.get()), POLLIN, 0};
    const int polled = ::poll(&ready, 1, static_cast<int>(left.count()));
    if (polled < 0 && errno != EINTR) {
      ub_cancel(context_.get(), async_id);
      return fail(ErrorKind::Internal, what + ": poll: " + std::generic_category().message(errno));
    }
    if (polled > 0) {
      if (const int status = ub_process(context_.get()); status != 0)
        return fail(ErrorKind::Transient, what + ": " + ub_strerror(status));
    }
  }
  if (pending.error != 0 || !pending.result)
    return fail(ErrorKind::Transient, what + ": " + ub_strerror(pending.error));

  const ub_result& result = *pending.result;
  Answer answer;
  answer.rcode = result.rcode;
  answer.ttl = std::chrono::seconds(std::max(result.ttl, 0));
  if (result.bogus != 0) {
    answer.status = DnssecStatus::Bogus;
    answer.why_bogus = result.why_bogus != nullptr ? result.why_bogus : "validation failed";
  } else if (result.secure != 0) {
    answer.status = DnssecStatus::Secure;
  }
  if (answer.status != DnssecStatus::Bogus && result.rcode == kRcodeServFail) {
    return fail(ErrorKind::Transient,
                what +
                    ": SERVFAIL (the authoritative servers could not be reached or answered "
                    "with an error)");
  }
  if (result.havedata != 0 && result.data != nullptr) {
    for (std::size_t i = 0; result.data[i] != nullptr; ++i) {
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(result.data[i]);
      answer.data.emplace_back(bytes, bytes + result.len[i]);
    }
  }
  return answer;
}

Result<ports::ValidatedTlsa> UnboundDaneLookup::tlsa(const std::string& owner) {
  const std::string name = canonicalOwner(owner);
  auto answer = resolve(name, kTypeTlsa);
  if (!answer) return fail(std::move(answer.error()));
  ports::ValidatedTlsa result;
  result.owner = name;
  result.status = answer->status;
  result.why_bogus = answer->why_bogus;
  result.ttl = answer->ttl;
  for (const Bytes& rdata : answer->data) {
    if (auto record = decodeTlsaRdata(rdata)) result.records.push_back(std::move(*record));
  }
  result.exists = answer->rcode != kRcodeNxDomain && !result.records.empty();
  return result;
}

Result<ports::ValidatedAddresses> UnboundDaneLookup::addresses(const std::string& host) {
  const std::string name = canonicalOwner(host);
  ports::ValidatedAddresses result;
  result.host = host;
  result.status = DnssecStatus::Secure;
  for (const int type : {kTypeA, kTypeAaaa}) {
    auto answer = resolve(name, type);
    if (!answer) return fail(std::move(answer.error()));
    result.status = weakerStatus(result.status, answer->status);
    if (result.why_bogus.empty()) result.why_bogus = answer->why_bogus;
    for (const Bytes& rdata : answer->data) {
      if (auto address = decodeAddressRdata(rdata)) result.addresses.push_back(std::move(*address));
    }
  }
  return result;
}

Result<ports::ValidatedMx> UnboundDaneLookup::mx(const std::string& domain) {
  const std::string name = canonicalOwner(domain);
  auto answer = resolve(name, kTypeMx);
  if (!answer) return fail(std::move(answer.error()));
  ports::ValidatedMx result;
  result.domain = domain;
  result.status = answer->status;
  result.why_bogus = answer->why_bogus;
  for (const Bytes& rdata : answer->data) {
    if (auto host = decodeMxRdata(rdata)) result.hosts.push_back(std::move(*host));
  }
  std::stable_sort(
      result.hosts.begin(), result.hosts.end(),
      [](const ports::MxHost& a, const ports::MxHost& b) { return a.preference < b.preference; });
  result.exists = !result.hosts.empty();
  return result;
}

}  // namespace daneguard::adapters::resolver
