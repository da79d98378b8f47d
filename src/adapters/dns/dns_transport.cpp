#include "adapters/dns/dns_transport.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "adapters/files/unique_fd.hpp"

namespace daneguard::adapters::dns {
namespace {

using Clock = std::chrono::steady_clock;

using files::UniqueFd;

// std::strerror is not thread-safe; the generic category's message is.
std::string errnoText(int error_number) {
  return std::generic_category().message(error_number);
}

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNSPEC;
};

Result<SocketAddress> resolveServer(const ports::DnsServer& server) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICSERV;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(server.port);
  const int status = ::getaddrinfo(server.host.c_str(), port.c_str(), &hints, &found);
  if (status != 0 || found == nullptr) {
    return fail(ErrorKind::Config, "cannot resolve name server address '" + server.host +
                                       "': " + ::gai_strerror(status));
  }
  SocketAddress address;
  std::memcpy(&address.storage, found->ai_addr, found->ai_addrlen);
  address.length = found->ai_addrlen;
  address.family = found->ai_family;
  ::freeaddrinfo(found);
  return address;
}

enum class Phase { NotStarted, UdpWaiting, TcpConnecting, TcpWriting, TcpReading, Done };

struct ExchangeState {
  const DnsExchange* exchange = nullptr;
  std::optional<SocketAddress> address;
  Phase phase = Phase::NotStarted;
  bool use_tcp = false;
  int tries_used = 0;
  Clock::time_point deadline{};
  UniqueFd fd;
  Bytes tcp_out;  // length-prefixed request
  std::size_t tcp_written = 0;
  Bytes tcp_in;
  std::string last_failure;  // why the latest try ended early, for the final message
  ExchangeOutcome outcome;
};

constexpr std::size_t kUdpReceiveBuffer = 65535;

void finish(ExchangeState& state, Result<ExchangeReply> reply) {
  state.fd.reset();
  state.phase = Phase::Done;
  state.outcome.reply = std::move(reply);
}

void startTry(ExchangeState& state, const TransportOptions& options);

/// Ends the current try early (connection refused, reset, garbage on TCP) and starts the next.
void failTry(ExchangeState& state, const TransportOptions& options, std::string why) {
  state.fd.reset();
  state.last_failure = std::move(why);
  startTry(state, options);
}

void startTry(ExchangeState& state, const TransportOptions& options) {
  const auto& exchange = *state.exchange;
  if (state.tries_used >= options.tries) {
    // The caller names the server and the operation; this says what happened on the wire.
    std::string message = (state.last_failure.empty() ? "timeout" : state.last_failure) +
                          " after " + std::to_string(options.tries) +
                          (options.tries == 1 ? " try (" : " tries (") +
                          describeDuration(options.timeout) + " each)";
    state.outcome.transport = state.use_tcp ? "TCP" : "UDP";
    finish(state, fail(ErrorKind::Transient, std::move(message)));
    return;
  }
  ++state.tries_used;
  state.deadline = Clock::now() + options.timeout;
  const int type = (state.use_tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
  state.fd = UniqueFd(::socket(state.address->family, type, 0));
  if (state.fd.get() < 0) {
    finish(state,
           fail(ErrorKind::Transient, std::string("cannot create a socket: ") + errnoText(errno)));
    return;
  }
  const auto* address = reinterpret_cast<const sockaddr*>(&state.address->storage);
  const int connected = ::connect(state.fd.get(), address, state.address->length);
  if (connected != 0 && !(state.use_tcp && errno == EINPROGRESS)) {
    failTry(state, options, std::string("cannot connect: ") + errnoText(errno));
    return;
  }
  if (state.use_tcp) {
    const auto size = exchange.request.size();
    state.tcp_out.clear();
    state.tcp_out.push_back(static_cast<std::uint8_t>(size >> 8));
    state.tcp_out.push_back(static_cast<std::uint8_t>(size & 0xff));
    state.tcp_out.insert(state.tcp_out.end(), exchange.request.begin(), exchange.request.end());
    state.tcp_written = 0;
    state.tcp_in.clear();
    state.phase = connected == 0 ? Phase::TcpWriting : Phase::TcpConnecting;
    return;
  }
  const auto sent = ::send(state.fd.get(), exchange.request.data(), exchange.request.size(), 0);
  if (sent != static_cast<ssize_t>(exchange.request.size())) {
    failTry(state, options, std::string("cannot send: ") + errnoText(errno));
    return;
  }
  state.outcome.request_sent = true;
  state.phase = Phase::UdpWaiting;
}

bool truncated(ByteView message) {
  return message.size() > 2 && (message[2] & 0x02) != 0;
}

void onUdpReadable(ExchangeState& state, const TransportOptions& options) {
  std::vector<std::uint8_t> buffer(kUdpReceiveBuffer);
  for (;;) {
    const auto received = ::recv(state.fd.get(), buffer.data(), buffer.size(), 0);
    if (received < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == ECONNREFUSED) {
        failTry(state, options, "port unreachable (nothing listening)");
      } else {
        failTry(state, options, std::string("receive failed: ") + errnoText(errno));
      }
      return;
    }
    const ByteView reply(buffer.data(), static_cast<std::size_t>(received));
    if (!replyMatchesRequest(state.exchange->request, reply)) continue;  // stray or spoofed
    if (truncated(reply)) {
      state.use_tcp = true;
      state.fd.reset();
      --state.tries_used;  // the UDP try succeeded; TCP gets a full try of its own
      startTry(state, options);
      return;
    }
    finish(state, ExchangeReply{Bytes(reply.begin(), reply.end()), false});
    return;
  }
}

/// Returns false when the connection attempt failed; that try has then been ended.
bool completeTcpConnect(ExchangeState& state, const TransportOptions& options) {
  int socket_error = 0;
  socklen_t length = sizeof socket_error;
  ::getsockopt(state.fd.get(), SOL_SOCKET, SO_ERROR, &socket_error, &length);
  if (socket_error != 0) {
    failTry(state, options, std::string("TCP connect failed: ") + errnoText(socket_error));
    return false;
  }
  state.phase = Phase::TcpWriting;
  return true;
}

void onTcpWritable(ExchangeState& state, const TransportOptions& options) {
  const auto written = ::send(state.fd.get(), state.tcp_out.data() + state.tcp_written,
                              state.tcp_out.size() - state.tcp_written, MSG_NOSIGNAL);
  if (written < 0) {
    if (errno != EAGAIN) failTry(state, options, std::string("TCP send: ") + errnoText(errno));
    return;
  }
  state.outcome.request_sent = true;
  state.tcp_written += static_cast<std::size_t>(written);
  if (state.tcp_written == state.tcp_out.size()) state.phase = Phase::TcpReading;
}

/// Finishes the exchange once tcp_in holds the whole length-prefixed reply; waits otherwise.
void completeTcpReplyIfWhole(ExchangeState& state, const TransportOptions& options) {
  if (state.tcp_in.size() < 2) return;
  const std::size_t expected = (static_cast<std::size_t>(state.tcp_in[0]) << 8) | state.tcp_in[1];
  if (state.tcp_in.size() < expected + 2) return;
  const ByteView reply(state.tcp_in.data() + 2, expected);
  if (!replyMatchesRequest(state.exchange->request, reply)) {
    failTry(state, options, "reply over TCP did not match the request");
    return;
  }
  finish(state, ExchangeReply{Bytes(reply.begin(), reply.end()), true});
}

void onTcpReadable(ExchangeState& state, const TransportOptions& options) {
  std::array<std::uint8_t, 4096> chunk{};
  const auto received = ::recv(state.fd.get(), chunk.data(), chunk.size(), 0);
  if (received < 0) {
    if (errno != EAGAIN) failTry(state, options, std::string("TCP receive: ") + errnoText(errno));
    return;
  }
  if (received == 0) {
    failTry(state, options, "connection closed before a complete reply");
    return;
  }
  state.tcp_in.insert(state.tcp_in.end(), chunk.begin(), chunk.begin() + received);
  completeTcpReplyIfWhole(state, options);
}

void onTcpEvent(ExchangeState& state, const TransportOptions& options, short revents) {
  // A finished connect falls through to writing in the same event: POLLOUT signalled both.
  if (state.phase == Phase::TcpConnecting && !completeTcpConnect(state, options)) return;
  if (state.phase == Phase::TcpWriting && (revents & POLLOUT) != 0) {
    onTcpWritable(state, options);
    return;
  }
  if (state.phase == Phase::TcpReading && (revents & (POLLIN | POLLHUP | POLLERR)) != 0)
    onTcpReadable(state, options);
}

short pollEventsFor(const ExchangeState& state) {
  switch (state.phase) {
    case Phase::UdpWaiting:
    case Phase::TcpReading:
      return POLLIN;
    case Phase::TcpConnecting:
    case Phase::TcpWriting:
      return POLLOUT;
    default:
      return 0;
  }
}

/// Length of the question section starting at offset 12 (names in questions are uncompressed).
std::optional<std::size_t> questionLength(ByteView message) {
  if (message.size() < 12) return std::nullopt;
  const unsigned count = (static_cast<unsigned>(message[4]) << 8) | message[5];
  std::size_t offset = 12;
  for (unsigned i = 0; i < count; ++i) {
    for (;;) {
      if (offset >= message.size()) return std::nullopt;
      const unsigned label = message[offset];
      if (label == 0) {
        ++offset;
        break;
      }
      if (label > 63) return std::nullopt;
      offset += 1 + label;
    }
    offset += 4;  // type, class
    if (offset > message.size()) return std::nullopt;
  }
  return offset - 12;
}

unsigned char lowerAscii(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c + ('a' - 'A')) : c;
}

bool inFlight(const ExchangeState& state) {
  return state.phase != Phase::NotStarted && state.phase != Phase::Done;
}

std::vector<ExchangeState> initialStates(std::span<const DnsExchange> exchanges) {
  std::vector<ExchangeState> states(exchanges.size());
  for (std::size_t i = 0; i < exchanges.size(); ++i) {
    states[i].exchange = &exchanges[i];
    states[i].use_tcp = exchanges[i].tcp_only;
  }
  return states;
}

/// Starts exchanges in order until `bound` are in flight; one that fails at once (unresolvable
/// server, no socket) is finished and does not count against the bound.
void startUpToBound(std::vector<ExchangeState>& states, std::size_t& next_to_start,
                    std::size_t bound, const TransportOptions& options) {
  auto in_flight = static_cast<std::size_t>(std::count_if(states.begin(), states.end(), inFlight));
  while (in_flight < bound && next_to_start < states.size()) {
    auto& state = states[next_to_start++];
    auto address = resolveServer(state.exchange->server);
    if (!address) {
      finish(state, fail(address.error()));
      continue;
    }
    state.address = *address;
    startTry(state, options);
    if (state.phase != Phase::Done) ++in_flight;
  }
}

/// The sockets of the exchanges in flight, which exchange owns each, and the nearest deadline.
struct PollSet {
  std::vector<pollfd> fds;
  std::vector<std::size_t> owners;
  Clock::time_point earliest = Clock::time_point::max();
};

PollSet pollSetFor(const std::vector<ExchangeState>& states) {
  PollSet set;
  for (std::size_t i = 0; i < states.size(); ++i) {
    const auto& state = states[i];
    if (!inFlight(state)) continue;
    set.fds.push_back(pollfd{state.fd.get(), pollEventsFor(state), 0});
    set.owners.push_back(i);
    set.earliest = std::min(set.earliest, state.deadline);
  }
  return set;
}

void failAllUnfinished(std::vector<ExchangeState>& states, const std::string& message) {
  for (auto& state : states)
    if (state.phase != Phase::Done) finish(state, fail(ErrorKind::Internal, message));
}

/// Waits until a socket is ready or the nearest deadline passes, then handles what is ready.
void pollAndDispatch(std::vector<ExchangeState>& states, PollSet& set,
                     const TransportOptions& options) {
  const auto wait =
      std::chrono::duration_cast<std::chrono::milliseconds>(set.earliest - Clock::now());
  // duration_cast truncates: +1 ms keeps poll() from waking just before the deadline and spinning.
  const int timeout_ms = static_cast<int>(std::max<std::int64_t>(0, wait.count() + 1));
  const int ready = ::poll(set.fds.data(), set.fds.size(), timeout_ms);
  if (ready < 0 && errno != EINTR)
    failAllUnfinished(states, std::string("poll: ") + errnoText(errno));
  for (std::size_t k = 0; ready > 0 && k < set.fds.size(); ++k) {
    if (set.fds[k].revents == 0) continue;
    auto& state = states[set.owners[k]];
    if (state.phase == Phase::UdpWaiting) {
      onUdpReadable(state, options);
    } else if (state.phase != Phase::Done) {
      onTcpEvent(state, options, set.fds[k].revents);
    }
  }
}

/// Starts the next try of each exchange whose deadline passed. The last failure is cleared so
/// that a final message reports the timeout, not an earlier try's failure.
void retryExpired(std::vector<ExchangeState>& states, const std::vector<std::size_t>& owners,
                  const TransportOptions& options) {
  const auto now = Clock::now();
  for (const std::size_t index : owners) {
    auto& state = states[index];
    if (inFlight(state) && now >= state.deadline) {
      state.fd.reset();
      state.last_failure.clear();
      startTry(state, options);
    }
  }
}

bool allDone(const std::vector<ExchangeState>& states) {
  return std::all_of(states.begin(), states.end(),
                     [](const ExchangeState& state) { return state.phase == Phase::Done; });
}

}  // namespace

bool replyMatchesRequest(ByteView request, ByteView reply) {
  if (request.size() < 12 || reply.size() < 12) return false;
  if (request[0] != reply[0] || request[1] != reply[1]) return false;
  if ((reply[2] & 0x80) == 0) return false;                    // QR
  if ((request[2] & 0x78) != (reply[2] & 0x78)) return false;  // opcode
  const auto asked = questionLength(request);
  if (!asked || request[4] != reply[4] || request[5] != reply[5]) return false;
  if (reply.size() < 12 + *asked) return false;
  for (std::size_t i = 12; i < 12 + *asked; ++i)
    if (lowerAscii(request[i]) != lowerAscii(reply[i])) return false;
  return true;
}

std::string describeDuration(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  std::string text = std::to_string(ms / 1000) + "." + std::to_string(1000 + ms % 1000).substr(1);
  while (text.back() == '0')
    text.pop_back();
  return text + " s";
}

std::vector<ExchangeOutcome> runExchanges(std::span<const DnsExchange> exchanges,
                                          const TransportOptions& options) {
  std::vector<ExchangeState> states = initialStates(exchanges);
  const std::size_t bound = options.max_in_flight == 0 ? 1 : options.max_in_flight;
  std::size_t next_to_start = 0;
  while (!allDone(states)) {
    startUpToBound(states, next_to_start, bound, options);
    PollSet set = pollSetFor(states);
    if (set.fds.empty()) continue;
    pollAndDispatch(states, set, options);
    retryExpired(states, set.owners, options);
  }

  std::vector<ExchangeOutcome> outcomes;
  outcomes.reserve(states.size());
  for (auto& state : states)
    outcomes.push_back(std::move(state.outcome));
  return outcomes;
}

}  // namespace daneguard::adapters::dns
