// UPDATE replies BIND will not produce on demand: BADTIME (needs a skewed clock), forged or
// unsigned "success", and stray datagrams before the real reply. A tiny scripted UDP server
// (one thread, ldns-built replies) plays the primary.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "adapters/dns/dns_message.hpp"
#include "adapters/dns/ldns_dns_update.hpp"
#include "adapters/dns/ldns_handles.hpp"
#include "core/digest.hpp"
#include "integration/support/secret_scan.hpp"

namespace daneguard::adapters::dns {
namespace {

using namespace std::chrono_literals;

constexpr const char* kKeyName = "faux-key";
constexpr const char* kSecret = "ZmF1eC1zZXJ2ZXItc2VjcmV0LWNhbmFyeS0wMTIzNDU2Nzg5";

using Responder = std::function<std::vector<Bytes>(const Bytes& request)>;

/// Answers each datagram with the datagrams `respond` returns, until stopped.
class FauxServer {
 public:
  explicit FauxServer(Responder respond) : respond_(std::move(respond)) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FauxServer() {
    stopping_ = true;
    thread_.join();
    ::close(fd_);
  }
  FauxServer(const FauxServer&) = delete;
  FauxServer& operator=(const FauxServer&) = delete;
  [[nodiscard]] ports::DnsServer server() const { return {"127.0.0.1", port_}; }

 private:
  void serve() {
    while (!stopping_) {
      pollfd watch{fd_, POLLIN, 0};
      if (::poll(&watch, 1, 50) <= 0) continue;
      std::vector<std::uint8_t> buffer(65535);
      sockaddr_storage peer{};
      socklen_t peer_length = sizeof peer;
      const auto size = ::recvfrom(fd_, buffer.data(), buffer.size(), 0,
                                   reinterpret_cast<sockaddr*>(&peer), &peer_length);
      if (size <= 0) continue;
      buffer.resize(static_cast<std::size_t>(size));
      for (const auto& reply : respond_(buffer)) {
        ::sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer),
                 peer_length);
      }
    }
  }

  Responder respond_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

Bytes toWire(const ldns_pkt& packet) {
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  EXPECT_EQ(ldns_pkt2wire(&wire, &packet, &size), LDNS_STATUS_OK);
  MallocBytesPtr owned(wire);
  return Bytes(wire, wire + size);
}

LdnsPktPtr parse(const Bytes& wire) {
  ldns_pkt* raw = nullptr;
  EXPECT_EQ(ldns_wire2pkt(&raw, wire.data(), wire.size()), LDNS_STATUS_OK);
  return LdnsPktPtr(raw);
}

/// The request turned into a reply (QR set, rcode) without its TSIG.
LdnsPktPtr replyTo(const Bytes& request, ldns_pkt_rcode rcode) {
  ldns_pkt* raw = nullptr;
  EXPECT_EQ(ldns_wire2pkt(&raw, request.data(), request.size()), LDNS_STATUS_OK);
  LdnsPktPtr reply(raw);
  ldns_pkt_set_qr(reply.get(), true);
  ldns_pkt_set_rcode(reply.get(), rcode);
  ldns_rr_free(ldns_pkt_tsig(reply.get()));
  ldns_pkt_set_tsig(reply.get(), nullptr);
  // Do not echo prerequisites and updates back.
  ldns_rr_list_deep_free(ldns_pkt_answer(reply.get()));
  ldns_pkt_set_answer(reply.get(), ldns_rr_list_new());
  ldns_pkt_set_ancount(reply.get(), 0);
  ldns_rr_list_deep_free(ldns_pkt_authority(reply.get()));
  ldns_pkt_set_authority(reply.get(), ldns_rr_list_new());
  ldns_pkt_set_nscount(reply.get(), 0);
  return reply;
}

const ldns_rdf* requestMac(const ldns_pkt& request) {
  return ldns_rr_rdf(ldns_pkt_tsig(&request), 3);
}

ports::UpdateRequest anUpdate(const ports::DnsServer& server) {
  ports::UpdateRequest request;
  request.server = server;
  request.zone = "example.test.";
  TlsaRecord record;
  record.data = sha256(Bytes{1, 2, 3});
  request.additions = {{"_25._tcp.mail.example.test.", record}};
  return request;
}

class FauxUpdate : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_EQ(log_.findLeak(kSecret), ""); }
  LdnsDnsUpdate updater() {
    auto key = TsigKey::create(kKeyName, "hmac-sha256", kSecret, "test");
    EXPECT_TRUE(key);
    UpdateOptions options;
    options.transport = TransportOptions{300ms, 2, 1};
    return LdnsDnsUpdate(std::move(*key), options);
  }
  Error expectError(const Result<ports::UpdateOutcome>& result) {
    EXPECT_FALSE(result.has_value());
    if (result) return Error{ErrorKind::Internal, "unexpected success"};
    log_.note(result.error());
    return result.error();
  }
  daneguard::testing::MessageLog log_;
};

TEST_F(FauxUpdate, BadTimeIsClockSkewWithTheOffset) {
  FauxServer server([](const Bytes& request) {
    auto reply = replyTo(request, LDNS_RCODE_NOTAUTH);
    const auto parsed_request = parse(request);
    ldns_rr* tsig = ldns_rr_clone(ldns_pkt_tsig(parsed_request.get()));
    const ldns_rdf* signed_at = ldns_rr_rdf(tsig, 1);
    std::uint64_t ours = 0;
    for (std::size_t i = 0; i < 6; ++i)
      ours = (ours << 8) | ldns_rdf_data(signed_at)[i];
    const std::uint64_t theirs = ours + 600;  // the server is 10 minutes ahead
    std::uint8_t other[8] = {0, 6};
    for (int i = 0; i < 6; ++i)
      other[2 + i] = static_cast<std::uint8_t>(theirs >> (8 * (5 - i)));
    const std::uint8_t empty_mac[2] = {0, 0};
    ldns_rdf_deep_free(
        ldns_rr_set_rdf(tsig, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 2, empty_mac), 3));
    ldns_rdf_deep_free(ldns_rr_set_rdf(tsig, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 18), 5));
    ldns_rdf_deep_free(
        ldns_rr_set_rdf(tsig, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 8, other), 6));
    ldns_pkt_set_tsig(reply.get(), tsig);  // the packet owns it now
    return std::vector<Bytes>{toWire(*reply)};
  });
  auto update = updater();
  const auto error = expectError(update.apply(anUpdate(server.server())));
  EXPECT_EQ(error.kind, ErrorKind::ClockSkew) << error.message;
  EXPECT_NE(error.message.find("NOTAUTH/BADTIME"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("server minus us = 600 s"), std::string::npos) << error.message;
}

TEST_F(FauxUpdate, ForgedAndUnsignedSuccessAreAmbiguous) {
  FauxServer forged([](const Bytes& request) {
    auto reply = replyTo(request, LDNS_RCODE_NOERROR);
    // Signed with a different secret: the MAC cannot verify with ours.
    const auto parsed = parse(request);
    EXPECT_EQ(ldns_pkt_tsig_sign(reply.get(), kKeyName, "b3RoZXItc2VjcmV0LWZvcmdlcnk=", 300,
                                 "hmac-sha256.", requestMac(*parsed)),
              LDNS_STATUS_OK);
    return std::vector<Bytes>{toWire(*reply)};
  });
  auto update = updater();
  const auto forged_error = expectError(update.apply(anUpdate(forged.server())));
  EXPECT_EQ(forged_error.kind, ErrorKind::Ambiguous) << forged_error.message;
  EXPECT_NE(forged_error.message.find("fails TSIG verification"), std::string::npos);

  FauxServer unsigned_reply([](const Bytes& request) {
    auto reply = replyTo(request, LDNS_RCODE_NOERROR);
    return std::vector<Bytes>{toWire(*reply)};
  });
  const auto unsigned_error = expectError(update.apply(anUpdate(unsigned_reply.server())));
  EXPECT_EQ(unsigned_error.kind, ErrorKind::Ambiguous) << unsigned_error.message;
  EXPECT_NE(unsigned_error.message.find("unsigned NOERROR"), std::string::npos);
}

TEST_F(FauxUpdate, StrayDatagramsAreIgnoredAndAGenuineReplyIsAccepted) {
  FauxServer server([](const Bytes& request) {
    const auto parsed = parse(request);
    auto genuine = replyTo(request, LDNS_RCODE_NOERROR);
    EXPECT_EQ(ldns_pkt_tsig_sign(genuine.get(), kKeyName, kSecret, 300, "hmac-sha256.",
                                 requestMac(*parsed)),
              LDNS_STATUS_OK);
    Bytes wrong_id = toWire(*genuine);
    wrong_id[0] ^= 0xff;
    Bytes wrong_zone = toWire(*genuine);
    wrong_zone[13] = 'X';  // first letter of the zone name in the zone section
    return std::vector<Bytes>{wrong_id, wrong_zone, toWire(*genuine)};
  });
  auto update = updater();
  auto outcome = update.apply(anUpdate(server.server()));
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->added, 1u);
  EXPECT_FALSE(outcome->over_tcp);
}

TEST(ReplyMatching, RequiresIdQrOpcodeAndQuestion) {
  auto query =
      buildQueryMessage({{"127.0.0.1", 53}, "Mail.Example.Test.", ports::DnsType::A, false});
  ASSERT_TRUE(query);
  Bytes reply = *query;
  reply[2] |= 0x80;
  EXPECT_TRUE(replyMatchesRequest(*query, reply));
  Bytes upper = reply;
  upper[13] ^= 0x20;  // flips the case of the first letter of the name
  EXPECT_TRUE(replyMatchesRequest(*query, upper)) << "0x20 case changes must match";
  Bytes no_qr = *query;
  EXPECT_FALSE(replyMatchesRequest(*query, no_qr));
  Bytes other_id = reply;
  other_id[1] ^= 1;
  EXPECT_FALSE(replyMatchesRequest(*query, other_id));
  Bytes other_name = reply;
  other_name[14] = 'z';
  EXPECT_FALSE(replyMatchesRequest(*query, other_name));
  EXPECT_FALSE(replyMatchesRequest(*query, ByteView(reply.data(), 11)));
  EXPECT_EQ(describeDuration(5000ms), "5 s");
  EXPECT_EQ(describeDuration(250ms), "0.25 s");
}

}  // namespace
}  // namespace daneguard::adapters::dns
