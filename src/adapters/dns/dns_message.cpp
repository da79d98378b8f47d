#include "adapters/dns/dns_message.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>

namespace daneguard::adapters::dns {

std::uint16_t randomMessageId() {
  std::uint16_t id = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof id) != 1) {
    // OpenSSL's CSPRNG only fails when the OS has no entropy source at all; a predictable ID
    // would silently weaken spoofing resistance, so stop instead.
    std::abort();
  }
  return id;
}

std::string canonicalName(std::string_view name) {
  std::string canonical(name);
  std::transform(canonical.begin(), canonical.end(), canonical.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (canonical.empty() || canonical.back() != '.') canonical.push_back('.');
  return canonical;
}

std::string parentName(std::string_view name) {
  if (name == "." || name.empty()) return ".";
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '\\') {
      ++i;  // escaped character (\. or \DDD's first digit) is part of the label
      continue;
    }
    if (name[i] == '.') {
      const auto rest = name.substr(i + 1);
      return rest.empty() ? std::string(".") : std::string(rest);
    }
  }
  return ".";
}

bool isAtOrBelow(std::string_view name, std::string_view zone) {
  if (zone == ".") return true;
  if (name == zone) return true;
  return name.size() > zone.size() && name.ends_with(zone) &&
         name[name.size() - zone.size() - 1] == '.';
}

Result<LdnsRdfPtr> ldnsName(const std::string& name) {
  LdnsRdfPtr rdf(ldns_dname_new_frm_str(name.c_str()));
  if (!rdf) return fail(ErrorKind::InvalidInput, "'" + name + "' is not a valid domain name");
  return rdf;
}

Result<Bytes> buildQueryMessage(const ports::DnsQuestion& question) {
  auto name = ldnsName(question.name);
  if (!name) return fail(name.error());
  // ldns_pkt_query_new takes ownership of the name rdf, also on failure paths inside it.
  LdnsPktPtr packet(ldns_pkt_query_new(name->release(), static_cast<ldns_rr_type>(question.type),
                                       LDNS_RR_CLASS_IN, 0));
  if (!packet) return fail(ErrorKind::Internal, "ldns could not build a query packet");
  ldns_pkt_set_id(packet.get(), randomMessageId());
  ldns_pkt_set_rd(packet.get(), question.recursion_desired);
  ldns_pkt_set_edns_udp_size(packet.get(), kEdnsUdpPayload);
  ldns_pkt_set_edns_do(packet.get(), true);
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  const ldns_status status = ldns_pkt2wire(&wire, packet.get(), &size);
  MallocBytesPtr owned(wire);
  if (status != LDNS_STATUS_OK) {
    return fail(ErrorKind::Internal,
                std::string("ldns could not encode a query: ") + ldns_get_errorstr_by_id(status));
  }
  return Bytes(wire, wire + size);
}

Result<LdnsPktPtr> parseMessage(ByteView message, const ports::DnsServer& server) {
  ldns_pkt* raw = nullptr;
  const ldns_status status = ldns_wire2pkt(&raw, message.data(), message.size());
  LdnsPktPtr packet(raw);
  if (status != LDNS_STATUS_OK || !packet) {
    return fail(ErrorKind::ProtocolViolation, "malformed reply from " + server.toString() + ": " +
                                                  ldns_get_errorstr_by_id(status));
  }
  return packet;
}

ports::DnsRecord toDnsRecord(const ldns_rr& rr) {
  ports::DnsRecord record;
  record.owner = canonicalName(rdfToString(ldns_rr_owner(&rr)));
  record.type = static_cast<ports::DnsType>(ldns_rr_get_type(&rr));
  record.ttl = ldns_rr_ttl(&rr);
  LdnsBufferPtr buffer(ldns_buffer_new(512));
  if (buffer && ldns_rr_rdata2buffer_wire(buffer.get(), &rr) == LDNS_STATUS_OK) {
    const auto* begin = ldns_buffer_begin(buffer.get());
    record.rdata.assign(begin, begin + ldns_buffer_position(buffer.get()));
  }
  for (std::size_t i = 0; i < ldns_rr_rd_count(&rr); ++i) {
    if (i > 0) record.rdata_text.push_back(' ');
    record.rdata_text += rdfToString(ldns_rr_rdf(&rr, i));
  }
  if (record.type == ports::DnsType::NS || record.type == ports::DnsType::CNAME)
    record.rdata_text = canonicalName(record.rdata_text);
  return record;
}

namespace {

std::optional<ports::SoaRecord> toSoa(const ldns_rr& rr) {
  if (ldns_rr_get_type(&rr) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(&rr) < 7) return std::nullopt;
  ports::SoaRecord soa;
  soa.zone = canonicalName(rdfToString(ldns_rr_owner(&rr)));
  soa.ttl = ldns_rr_ttl(&rr);
  soa.primary_ns = canonicalName(rdfToString(ldns_rr_rdf(&rr, 0)));
  soa.serial = ldns_rdf2native_int32(ldns_rr_rdf(&rr, 2));
  soa.refresh = ldns_rdf2native_int32(ldns_rr_rdf(&rr, 3));
  soa.retry = ldns_rdf2native_int32(ldns_rr_rdf(&rr, 4));
  soa.expire = ldns_rdf2native_int32(ldns_rr_rdf(&rr, 5));
  soa.minimum = ldns_rdf2native_int32(ldns_rr_rdf(&rr, 6));
  return soa;
}

void appendSection(const ldns_rr_list* list, std::vector<ports::DnsRecord>& out) {
  if (list == nullptr) return;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i)
    out.push_back(toDnsRecord(*ldns_rr_list_rr(list, i)));
}

}  // namespace

ports::DnsAnswer toDnsAnswer(const ldns_pkt& packet, const ports::DnsServer& server,
                             bool over_tcp) {
  ports::DnsAnswer answer;
  answer.server = server;
  answer.rcode = static_cast<ports::DnsRcode>(ldns_pkt_get_rcode(&packet));
  answer.authoritative = ldns_pkt_aa(&packet);
  answer.over_tcp = over_tcp;
  appendSection(ldns_pkt_answer(&packet), answer.answer);
  appendSection(ldns_pkt_authority(&packet), answer.authority);
  if (const ldns_rr_list* authority = ldns_pkt_authority(&packet)) {
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(authority); ++i) {
      if (auto soa = toSoa(*ldns_rr_list_rr(authority, i))) {
        answer.authority_soa = std::move(soa);
        break;
      }
    }
  }
  if (const ldns_rr_list* section = ldns_pkt_answer(&packet)) {
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(section); ++i) {
      if (auto soa = toSoa(*ldns_rr_list_rr(section, i))) {
        answer.answer_soa = std::move(soa);
        break;
      }
    }
  }
  return answer;
}

}  // namespace daneguard::adapters::dns
