#include "adapters/dns/ldns_dns_update.hpp"

#include <ctime>
#include <string>

#include "adapters/dns/dns_message.hpp"
#include "adapters/dns/ldns_handles.hpp"

namespace daneguard::adapters::dns {

using ports::DnsRcode;
using ports::rcodeName;

/// The one place that hands the secret to ldns. Not in an anonymous namespace: TsigKey
/// befriends exactly this class.
class TsigSigner {
 public:
  explicit TsigSigner(const TsigKey& key) : key_(key) {}

  Result<void> sign(ldns_pkt& packet, std::uint16_t fudge_seconds) const {
    const std::string algorithm = std::string(tsigAlgorithmName(key_.algorithm_)) + ".";
    const ldns_status status = ldns_pkt_tsig_sign(&packet, key_.name_.c_str(), key_.secretText(),
                                                  fudge_seconds, algorithm.c_str(), nullptr);
    if (status != LDNS_STATUS_OK) {
      return fail(ErrorKind::Config,
                  "cannot sign with " + key_.describe() + ": " + ldns_get_errorstr_by_id(status));
    }
    return {};
  }

  bool verify(ldns_pkt& reply, ByteView wire, const ldns_rdf& request_mac) const {
    return ldns_pkt_tsig_verify(&reply, wire.data(), wire.size(), key_.name_.c_str(),
                                key_.secretText(), &request_mac);
  }

 private:
  const TsigKey& key_;
};

namespace {

constexpr std::size_t kTsigTimeSigned = 1;
constexpr std::size_t kTsigMac = 3;
constexpr std::size_t kTsigError = 5;
constexpr std::size_t kTsigOtherData = 6;

Result<LdnsRrPtr> makeRr(const std::string& owner, ldns_rr_class rr_class, std::uint32_t ttl,
                         ldns_rr_type type, const TlsaRecord* tlsa) {
  auto name = ldnsName(owner);
  if (!name) return fail(name.error());
  LdnsRrPtr rr(ldns_rr_new());
  if (!rr) return fail(ErrorKind::Internal, "out of memory building an RR");
  ldns_rr_set_owner(rr.get(), name->release());
  ldns_rr_set_type(rr.get(), type);
  ldns_rr_set_class(rr.get(), rr_class);
  ldns_rr_set_ttl(rr.get(), ttl);
  if (tlsa != nullptr) {
    if (tlsa->data.empty()) {
      return fail(ErrorKind::InvalidInput, "TLSA record at " + owner + " has no association data");
    }
    const auto& parameters = tlsa->parameters;
    for (const std::uint8_t field : {static_cast<std::uint8_t>(parameters.usage),
                                     static_cast<std::uint8_t>(parameters.selector),
                                     static_cast<std::uint8_t>(parameters.matching_type)}) {
      ldns_rr_push_rdf(rr.get(), ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8, field));
    }
    ldns_rr_push_rdf(
        rr.get(), ldns_rdf_new_frm_data(LDNS_RDF_TYPE_HEX, tlsa->data.size(), tlsa->data.data()));
  }
  return rr;
}

Result<void> pushRr(ldns_rr_list& list, Result<LdnsRrPtr> rr) {
  if (!rr) return fail(rr.error());
  if (!ldns_rr_list_push_rr(&list, rr->get())) return fail(ErrorKind::Internal, "ldns list push");
  static_cast<void>(rr->release());  // the list owns it now
  return {};
}

Result<void> buildPrerequisites(const ports::UpdateRequest& request, ldns_rr_list& list) {
  using Kind = ports::UpdatePrerequisite::Kind;
  for (const auto& prerequisite : request.prerequisites) {
    const auto& owner = prerequisite.owner;
    Result<void> pushed;
    switch (prerequisite.kind) {
      case Kind::TlsaRrsetEquals:  // RFC 2136 §2.4.2: class IN, TTL 0, the complete RRset
        if (prerequisite.records.empty()) {
          return fail(ErrorKind::InvalidInput,
                      "prerequisite 'TLSA RRset equals' at " + owner + " lists no records");
        }
        for (const auto& record : prerequisite.records) {
          pushed = pushRr(list, makeRr(owner, LDNS_RR_CLASS_IN, 0, LDNS_RR_TYPE_TLSA, &record));
          if (!pushed) return pushed;
        }
        break;
      case Kind::TlsaRrsetExists:  // §2.4.1: class ANY, no rdata
        pushed = pushRr(list, makeRr(owner, LDNS_RR_CLASS_ANY, 0, LDNS_RR_TYPE_TLSA, nullptr));
        break;
      case Kind::TlsaRrsetAbsent:  // §2.4.3: class NONE, no rdata
        pushed = pushRr(list, makeRr(owner, LDNS_RR_CLASS_NONE, 0, LDNS_RR_TYPE_TLSA, nullptr));
        break;
      case Kind::NameInUse:  // §2.4.4: class ANY, type ANY
        pushed = pushRr(list, makeRr(owner, LDNS_RR_CLASS_ANY, 0, LDNS_RR_TYPE_ANY, nullptr));
        break;
      case Kind::NameNotInUse:  // §2.4.5: class NONE, type ANY
        pushed = pushRr(list, makeRr(owner, LDNS_RR_CLASS_NONE, 0, LDNS_RR_TYPE_ANY, nullptr));
        break;
    }
    if (!pushed) return pushed;
  }
  return {};
}

Result<void> buildUpdates(const ports::UpdateRequest& request, ldns_rr_list& list) {
  // Deletions first: within one message the order is applied as written (RFC 2136 §3.4.2),
  // and a delete-then-add of the same RR must leave it present.
  for (const auto& deletion : request.deletions) {
    // §2.5.4 "Delete an RR from an RRset": class NONE, TTL 0, the exact rdata.
    auto pushed = pushRr(
        list, makeRr(deletion.owner, LDNS_RR_CLASS_NONE, 0, LDNS_RR_TYPE_TLSA, &deletion.record));
    if (!pushed) return pushed;
  }
  for (const auto& addition : request.additions) {
    auto pushed = pushRr(list, makeRr(addition.owner, LDNS_RR_CLASS_IN, request.ttl_seconds,
                                      LDNS_RR_TYPE_TLSA, &addition.record));
    if (!pushed) return pushed;
  }
  return {};
}

std::string firstOwnerOutside(const ports::UpdateRequest& request) {
  const std::string zone = canonicalName(request.zone);
  for (const auto& change : request.additions)
    if (!isAtOrBelow(canonicalName(change.owner), zone)) return canonicalName(change.owner);
  for (const auto& change : request.deletions)
    if (!isAtOrBelow(canonicalName(change.owner), zone)) return canonicalName(change.owner);
  for (const auto& prerequisite : request.prerequisites)
    if (!isAtOrBelow(canonicalName(prerequisite.owner), zone))
      return canonicalName(prerequisite.owner);
  return {};
}

std::uint64_t readUint48(const ldns_rdf* rdf, std::size_t offset) {
  if (rdf == nullptr || ldns_rdf_size(rdf) < offset + 6) return 0;
  const std::uint8_t* data = ldns_rdf_data(rdf) + offset;
  std::uint64_t value = 0;
  for (int i = 0; i < 6; ++i)
    value = (value << 8) | data[i];
  return value;
}

constexpr const char* kReQuery = "outcome unknown, re-query before retrying";

/// What every message about one UPDATE names.
struct UpdateContext {
  const ports::UpdateRequest& request;
  std::string zone;    // canonical
  std::string server;  // as operators write it
  std::string what;    // "UPDATE of zone Z at S"
  std::string key_text;
  std::string_view algorithm;
};

UpdateContext describeUpdate(const ports::UpdateRequest& request, const TsigKey& key) {
  UpdateContext update{
      request, canonicalName(request.zone),     request.server.toString(),
      "",      "TSIG key '" + key.name() + "'", tsigAlgorithmName(key.algorithm())};
  update.what = "UPDATE of zone " + update.zone + " at " + update.server;
  return update;
}

/// The signed request; tsig and mac point into packet, for checking the reply's signature.
struct SignedUpdate {
  LdnsPktPtr packet;
  const ldns_rr* tsig = nullptr;
  const ldns_rdf* mac = nullptr;
};

Result<LdnsPktPtr> buildUpdatePacket(const UpdateContext& update) {
  LdnsRrListPtr prerequisites(ldns_rr_list_new());
  LdnsRrListPtr updates(ldns_rr_list_new());
  if (!prerequisites || !updates) return fail(ErrorKind::Internal, "out of memory");
  if (auto built = buildPrerequisites(update.request, *prerequisites); !built)
    return fail(built.error().withContext(update.what));
  if (auto built = buildUpdates(update.request, *updates); !built)
    return fail(built.error().withContext(update.what));

  auto zone_name = ldnsName(update.zone);
  if (!zone_name) return fail(zone_name.error().withContext(update.what));
  // Takes the zone rdf; clones the lists (they stay ours and are freed by their owners).
  LdnsPktPtr packet(ldns_update_pkt_new(zone_name->release(), LDNS_RR_CLASS_IN, prerequisites.get(),
                                        updates.get(), nullptr));
  if (!packet) return fail(ErrorKind::Internal, "ldns could not build the " + update.what);
  ldns_pkt_set_id(packet.get(), randomMessageId());
  return packet;
}

Result<SignedUpdate> buildSignedUpdate(const UpdateContext& update, const TsigSigner& signer,
                                       std::uint16_t fudge_seconds) {
  auto packet = buildUpdatePacket(update);
  if (!packet) return fail(packet.error());
  SignedUpdate signed_update{std::move(*packet)};
  if (auto signed_ok = signer.sign(*signed_update.packet, fudge_seconds); !signed_ok)
    return fail(signed_ok.error().withContext(update.what));
  signed_update.tsig = ldns_pkt_tsig(signed_update.packet.get());
  signed_update.mac = signed_update.tsig ? ldns_rr_rdf(signed_update.tsig, kTsigMac) : nullptr;
  if (signed_update.mac == nullptr)
    return fail(ErrorKind::Internal, "ldns produced no TSIG for the " + update.what);
  return signed_update;
}

Result<Bytes> encodeWire(ldns_pkt& packet, const std::string& what) {
  std::uint8_t* wire = nullptr;
  std::size_t wire_size = 0;
  const ldns_status encoded = ldns_pkt2wire(&wire, &packet, &wire_size);
  MallocBytesPtr owned_wire(wire);
  if (encoded != LDNS_STATUS_OK) {
    return fail(ErrorKind::Internal,
                "cannot encode the " + what + ": " + ldns_get_errorstr_by_id(encoded));
  }
  return Bytes(wire, wire + wire_size);
}

/// Sends the signed bytes (retries resend them unchanged). A transport failure after the
/// request left is ambiguous: the server may have applied the update.
Result<ExchangeReply> exchangeUpdate(const UpdateContext& update, Bytes wire,
                                     const UpdateOptions& options) {
  const DnsExchange exchange{update.request.server, std::move(wire), options.tcp_only};
  auto outcomes = runExchanges(std::span<const DnsExchange>(&exchange, 1), options.transport);
  auto& outcome = outcomes.front();
  if (outcome.reply) return std::move(*outcome.reply);
  const Error& error = outcome.reply.error();
  if (outcome.request_sent && error.kind == ErrorKind::Transient) {
    return fail(ErrorKind::Ambiguous, error.message + " sending UPDATE for zone " + update.zone +
                                          " to " + update.server + " over " + outcome.transport +
                                          ": " + kReQuery);
  }
  return fail(error.withContext(update.what));
}

/// Other Data of a BADTIME reply carries the server's clock (RFC 8945 §5.2.3); the offset is
/// shown when both times are known.
std::string clockSkewDetail(const ldns_rr& request_tsig, const ldns_rr& reply_tsig,
                            std::uint16_t fudge_seconds) {
  const auto ours =
      static_cast<std::int64_t>(readUint48(ldns_rr_rdf(&request_tsig, kTsigTimeSigned), 0));
  const ldns_rdf* other = ldns_rr_rd_count(&reply_tsig) > kTsigOtherData
                              ? ldns_rr_rdf(&reply_tsig, kTsigOtherData)
                              : nullptr;
  // ldns keeps the 2-byte length in front of Other Data.
  const auto theirs = static_cast<std::int64_t>(readUint48(other, 2));
  std::string detail = " (our clock and the server's differ by more than the " +
                       std::to_string(fudge_seconds) + " s fudge";
  if (theirs != 0 && ours != 0)
    detail += "; server minus us = " + std::to_string(theirs - ours) + " s";
  return detail;
}

/// The server rejected our signature: says which part of the key setup to check.
tl::unexpected<Error> tsigRejection(const UpdateContext& update, DnsRcode rcode,
                                    DnsRcode tsig_error, const ldns_rr& request_tsig,
                                    const ldns_rr& reply_tsig, std::uint16_t fudge_seconds) {
  const std::string prefix = update.key_text + " rejected by " + update.server + ": " +
                             rcodeName(rcode) + "/" + rcodeName(tsig_error);
  switch (tsig_error) {
    case DnsRcode::BadSig:
      return fail(ErrorKind::AuthFailure,
                  prefix + " (the secret does not match the server's copy of the key)");
    case DnsRcode::BadKey:
      return fail(ErrorKind::AuthFailure, prefix +
                                              " (the server does not know this key name with " +
                                              std::string(update.algorithm) + ")");
    case DnsRcode::BadTime:
      return fail(ErrorKind::ClockSkew,
                  prefix + clockSkewDetail(request_tsig, reply_tsig, fudge_seconds) +
                      "; check NTP on both)");
    default:
      return fail(ErrorKind::AuthFailure, prefix);
  }
}

/// Only a reply that verifies with our key can confirm the update; a rejection of our key is
/// reported as such.
Result<void> checkReplyTsig(const UpdateContext& update, const TsigSigner& signer,
                            const SignedUpdate& sent, ldns_pkt& reply_packet, ByteView reply_wire,
                            std::uint16_t fudge_seconds) {
  const auto rcode = static_cast<DnsRcode>(ldns_pkt_get_rcode(&reply_packet));
  const ldns_rr* reply_tsig = ldns_pkt_tsig(&reply_packet);
  if (reply_tsig != nullptr && ldns_rr_rd_count(reply_tsig) > kTsigError) {
    const auto tsig_error =
        static_cast<DnsRcode>(ldns_rdf2native_int16(ldns_rr_rdf(reply_tsig, kTsigError)));
    if (tsig_error != DnsRcode::NoError)
      return tsigRejection(update, rcode, tsig_error, *sent.tsig, *reply_tsig, fudge_seconds);
    if (!signer.verify(reply_packet, reply_wire, *sent.mac)) {
      return fail(ErrorKind::Ambiguous, "the reply from " + update.server +
                                            " to the UPDATE of zone " + update.zone +
                                            " fails TSIG verification with " + update.key_text +
                                            " (forged or corrupted; ignored): " + kReQuery);
    }
  } else if (rcode == DnsRcode::NoError) {
    return fail(ErrorKind::Ambiguous, "unsigned NOERROR reply from " + update.server +
                                          " to the signed UPDATE of zone " + update.zone +
                                          " (cannot be trusted): " + kReQuery);
  }
  return {};
}

const char* prerequisiteMeaning(DnsRcode rcode) {
  switch (rcode) {
    case DnsRcode::NxRrset:
      return "a TLSA RRset that must exist is absent or differs";
    case DnsRcode::YxRrset:
      return "a TLSA RRset that must be absent exists";
    case DnsRcode::NxDomain:
      return "a name that must be in use is not";
    default:
      return "a name that must be unused is in use";
  }
}

/// What the reply's rcode means for this UPDATE, once its signature has been checked.
Result<ports::UpdateOutcome> outcomeOf(const UpdateContext& update, DnsRcode rcode,
                                       bool signed_reply, bool over_tcp) {
  const std::string& server = update.server;
  const std::string& zone = update.zone;
  const std::string unsigned_note = signed_reply ? "" : " (unsigned reply)";
  switch (rcode) {
    case DnsRcode::NoError:
      return ports::UpdateOutcome{update.request.server, zone, update.request.additions.size(),
                                  update.request.deletions.size(), over_tcp};
    case DnsRcode::NxRrset:
    case DnsRcode::YxRrset:
    case DnsRcode::NxDomain:
    case DnsRcode::YxDomain:
      return fail(ErrorKind::PreconditionFailed, "prerequisite failed at " + server + " for zone " +
                                                     zone + ": " + rcodeName(rcode) + " (" +
                                                     prerequisiteMeaning(rcode) +
                                                     "); nothing was changed" + unsigned_note);
    case DnsRcode::Refused:
      return fail(ErrorKind::Rejected, server + " refused the update for zone " + zone +
                                           ": REFUSED (" + update.key_text +
                                           " is not allowed to change these records "
                                           "there; check allow-update/update-policy)" +
                                           unsigned_note);
    case DnsRcode::NotZone: {
      const std::string outside = firstOwnerOutside(update.request);
      return fail(ErrorKind::Rejected,
                  "NOTZONE: " + (outside.empty() ? std::string("a record") : outside) +
                      " is not in zone " + zone + " (" + server + ")" + unsigned_note);
    }
    case DnsRcode::NotAuth:
      return fail(ErrorKind::Rejected,
                  server + " is not authoritative for zone " + zone + ": NOTAUTH" + unsigned_note);
    case DnsRcode::ServFail:
      return fail(ErrorKind::Transient, server + " answered SERVFAIL to the UPDATE of zone " +
                                            zone + ": " + kReQuery + unsigned_note);
    default:
      return fail(ErrorKind::ProtocolViolation, server + " answered " + rcodeName(rcode) +
                                                    " to the UPDATE of zone " + zone +
                                                    unsigned_note);
  }
}

}  // namespace

Result<ports::UpdateOutcome> LdnsDnsUpdate::apply(const ports::UpdateRequest& request) {
  const UpdateContext update = describeUpdate(request, key_);
  const TsigSigner signer(key_);
  auto sent = buildSignedUpdate(update, signer, options_.fudge_seconds);
  if (!sent) return fail(sent.error());
  auto wire = encodeWire(*sent->packet, update.what);
  if (!wire) return fail(wire.error());
  auto exchanged = exchangeUpdate(update, std::move(*wire), options_);
  if (!exchanged) return fail(exchanged.error());

  auto reply = parseMessage(exchanged->message, request.server);
  if (!reply) {
    return fail(ErrorKind::Ambiguous,
                reply.error().message + " (" + update.what + "): " + kReQuery);
  }
  ldns_pkt& reply_packet = **reply;
  if (auto trusted = checkReplyTsig(update, signer, *sent, reply_packet, exchanged->message,
                                    options_.fudge_seconds);
      !trusted)
    return fail(trusted.error());
  const auto rcode = static_cast<DnsRcode>(ldns_pkt_get_rcode(&reply_packet));
  return outcomeOf(update, rcode, ldns_pkt_tsig(&reply_packet) != nullptr, exchanged->over_tcp);
}

}  // namespace daneguard::adapters::dns
