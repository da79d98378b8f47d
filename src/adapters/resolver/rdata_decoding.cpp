#include "adapters/resolver/rdata_decoding.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace daneguard::adapters::resolver {

std::optional<TlsaRecord> decodeTlsaRdata(ByteView rdata) {
  if (rdata.size() < 3) return std::nullopt;
  TlsaRecord record;
  record.parameters.usage = static_cast<TlsaUsage>(rdata[0]);
  record.parameters.selector = static_cast<TlsaSelector>(rdata[1]);
  record.parameters.matching_type = static_cast<TlsaMatchingType>(rdata[2]);
  record.data.assign(rdata.begin() + 3, rdata.end());
  return record;
}

std::optional<std::string> decodeAddressRdata(ByteView rdata) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  const int family = rdata.size() == 4 ? AF_INET : rdata.size() == 16 ? AF_INET6 : 0;
  if (family == 0) return std::nullopt;
  if (inet_ntop(family, rdata.data(), text.data(), text.size()) == nullptr) return std::nullopt;
  return std::string(text.data());
}

std::optional<ports::MxHost> decodeMxRdata(ByteView rdata) {
  if (rdata.size() < 3) return std::nullopt;
  ports::MxHost host;
  host.preference = static_cast<std::uint16_t>((rdata[0] << 8) | rdata[1]);
  // The exchange is an uncompressed name (RFC 3597 §4: resolvers hand RDATA out uncompressed).
  std::size_t position = 2;
  std::string name;
  while (true) {
    if (position >= rdata.size()) return std::nullopt;
    const std::size_t length = rdata[position++];
    if (length == 0) break;
    if (length > 63 || position + length > rdata.size()) return std::nullopt;
    if (!name.empty()) name += '.';
    for (std::size_t i = 0; i < length; ++i) {
      const auto octet = static_cast<unsigned char>(rdata[position + i]);
      // Host names are letters, digits and hyphens; anything else cannot be connected to by
      // name and would corrupt our one-line output.
      if (std::isalnum(octet) == 0 && octet != '-' && octet != '_') return std::nullopt;
      name += static_cast<char>(std::tolower(octet));
    }
    position += length;
  }
  if (position != rdata.size() || name.size() > 253) return std::nullopt;
  host.host = std::move(name);
  return host;
}

std::string canonicalOwner(const std::string& name) {
  std::string out = name;
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (out.empty() || out.back() != '.') out += '.';
  return out;
}

ports::DnssecStatus weakerStatus(ports::DnssecStatus a, ports::DnssecStatus b) {
  using ports::DnssecStatus;
  if (a == DnssecStatus::Bogus || b == DnssecStatus::Bogus) return DnssecStatus::Bogus;
  if (a == DnssecStatus::Insecure || b == DnssecStatus::Insecure) return DnssecStatus::Insecure;
  return DnssecStatus::Secure;
}

}  // namespace daneguard::adapters::resolver
