// Moves DNS messages over UDP and TCP, many at once, on one thread (poll() over non-blocking
// sockets). Message content is the caller's business; this layer only guarantees that a reply
// it hands back carries the request's ID, opcode and question (zone) section, arrived from the
// address the request went to (connected sockets), and is complete.
//
// UDP first; a reply with TC set switches that exchange to TCP for its remaining tries. Each try
// has its own timeout; a try that times out is resent with the same bytes (same ID, same TSIG).
// Replies that do not match (late replies, spoofing attempts) are ignored, not errors.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "ports/dns_query.hpp"

namespace daneguard::adapters::dns {

struct TransportOptions {
  std::chrono::milliseconds timeout{3000};  // per try
  int tries = 2;
  std::size_t max_in_flight = 32;
};

struct DnsExchange {
  ports::DnsServer server;
  Bytes request;  // complete wire message, ID set
  bool tcp_only = false;
};

struct ExchangeReply {
  Bytes message;
  bool over_tcp = false;
};

struct ExchangeOutcome {
  /// Errors: Transient (timeout, connection refused; the message says what and how often, e.g.
  /// "timeout after 2 tries (3 s each)", not whom), Config (unusable server address).
  Result<ExchangeReply> reply;
  /// At least one copy of the request may have reached the server (for UPDATE ambiguity).
  bool request_sent = false;
  /// "UDP" or "TCP": the transport of the last try, for failure messages.
  std::string transport;
};

/// Runs all exchanges concurrently (bounded by options.max_in_flight); results keep the order.
std::vector<ExchangeOutcome> runExchanges(std::span<const DnsExchange> exchanges,
                                          const TransportOptions& options);

/// "5 s", "0.2 s": durations as operators read them in messages.
std::string describeDuration(std::chrono::milliseconds duration);

/// True when `reply` answers `request`: same ID and opcode, QR set, identical question.
bool replyMatchesRequest(ByteView request, ByteView reply);

}  // namespace daneguard::adapters::dns
