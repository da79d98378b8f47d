#include "adapters/tls/starttls_dialogue.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <vector>

namespace daneguard::adapters::tls {
namespace {

constexpr std::size_t kMaxQuotedReply = 200;
constexpr std::size_t kMaxReplyLines = 200;
constexpr std::size_t kMaxXmppFeatures = 65536;

/// Server text as it may appear in a message: printable ASCII only, bounded length.
std::string quoted(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, kMaxQuotedReply))
    out += (c >= 0x20 && c <= 0x7e) ? c : '?';
  if (text.size() > kMaxQuotedReply) out += "...";
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

tl::unexpected<Error> refused(std::string_view reply) {
  return fail(ErrorKind::Rejected, "STARTTLS refused: " + quoted(reply));
}

tl::unexpected<Error> unexpected(std::string_view what, std::string_view reply) {
  return fail(ErrorKind::ProtocolViolation, "unexpected " + std::string(what) + ": " +
                                                (reply.empty() ? "(empty)" : quoted(reply)));
}

/// An SMTP/LMTP/FTP/NNTP style reply: three digits, "-" on every line but the last.
struct CodedReply {
  int code = 0;
  std::vector<std::string> lines;  // text after "250-" / "250 "
  std::string whole;               // for messages: "454 4.7.0 TLS not available"
};

Result<CodedReply> readCodedReply(ProbeConnection& connection, std::string_view what) {
  CodedReply reply;
  for (;;) {
    auto line = connection.readLine();
    if (!line) return fail(line.error());
    const bool coded = line->size() >= 3 && std::isdigit(static_cast<unsigned char>((*line)[0])) &&
                       std::isdigit(static_cast<unsigned char>((*line)[1])) &&
                       std::isdigit(static_cast<unsigned char>((*line)[2])) &&
                       (line->size() == 3 || (*line)[3] == ' ' || (*line)[3] == '-');
    if (reply.lines.empty() && !coded) return unexpected(what, *line);
    // FTP (RFC 959 §4.2) lets the middle lines of a multi-line reply be free text; SMTP lines
    // all carry the code. Either way the reply ends at "<code> " or a bare "<code>".
    const bool same_code = coded && std::stoi(line->substr(0, 3)) == reply.code;
    if (reply.lines.empty()) reply.code = std::stoi(line->substr(0, 3));
    reply.lines.push_back(coded ? line->substr(std::min<std::size_t>(4, line->size())) : *line);
    if (!reply.whole.empty()) reply.whole += " / ";
    reply.whole += *line;
    if (coded && (reply.lines.size() == 1 || same_code) && (line->size() == 3 || (*line)[3] == ' '))
      return reply;
    if (reply.lines.size() > kMaxReplyLines)
      return fail(ErrorKind::ProtocolViolation, "the " + std::string(what) + " has more than " +
                                                    std::to_string(kMaxReplyLines) + " lines");
  }
}

/// Reads a coded reply and checks its class: greeting 220, ...
Result<CodedReply> expectCode(ProbeConnection& connection, int expected, std::string_view what) {
  auto reply = readCodedReply(connection, what);
  if (!reply) return reply;
  if (reply->code != expected)
    return fail(ErrorKind::Rejected,
                "the server answered the " + std::string(what) + " with " + quoted(reply->whole));
  return reply;
}

Result<void> smtp(ProbeConnection& connection, bool lmtp, const StartTlsIdentity& identity) {
  if (auto greeting = expectCode(connection, 220, "greeting"); !greeting)
    return fail(greeting.error());
  const std::string hello = lmtp ? "LHLO" : "EHLO";
  if (auto sent = connection.writeAll(hello + " " + identity.client_name + "\r\n"); !sent)
    return sent;
  auto features = expectCode(connection, 250, hello);
  if (!features) return fail(features.error());
  // The first line is the server's name; each further line one extension keyword (RFC 5321).
  const bool offered =
      std::any_of(features->lines.begin() + 1, features->lines.end(), [](const std::string& l) {
        const std::string keyword = upper(l.substr(0, l.find(' ')));
        return keyword == "STARTTLS";
      });
  if (!offered) return fail(ErrorKind::Rejected, "STARTTLS not offered in the " + hello + " reply");
  if (auto sent = connection.writeAll("STARTTLS\r\n"); !sent) return sent;
  auto go = readCodedReply(connection, "STARTTLS reply");
  if (!go) return fail(go.error());
  if (go->code != 220) return refused(go->whole);
  return {};
}

/// Greeting with a numeric code, one command, one expected code (FTP, NNTP).
Result<void> codedCommand(ProbeConnection& connection, std::initializer_list<int> greetings,
                          std::string_view command, int go_ahead) {
  auto greeting = readCodedReply(connection, "greeting");
  if (!greeting) return fail(greeting.error());
  if (std::find(greetings.begin(), greetings.end(), greeting->code) == greetings.end())
    return fail(ErrorKind::Rejected,
                "the server answered the greeting with " + quoted(greeting->whole));
  if (auto sent = connection.writeAll(std::string(command) + "\r\n"); !sent) return sent;
  auto go = readCodedReply(connection, "STARTTLS reply");
  if (!go) return fail(go.error());
  if (go->code != go_ahead) return refused(go->whole);
  return {};
}

Result<void> imap(ProbeConnection& connection) {
  auto greeting = connection.readLine();
  if (!greeting) return fail(greeting.error());
  if (!startsWith(upper(*greeting), "* OK")) return unexpected("IMAP greeting", *greeting);
  if (auto sent = connection.writeAll("a STARTTLS\r\n"); !sent) return sent;
  for (std::size_t untagged = 0;; ++untagged) {
    auto line = connection.readLine();
    if (!line) return fail(line.error());
    if (startsWith(*line, "* ") && untagged < kMaxReplyLines) continue;  // e.g. CAPABILITY
    const std::string tagged = upper(*line);
    if (startsWith(tagged, "A OK")) return {};
    if (startsWith(tagged, "A NO") || startsWith(tagged, "A BAD")) return refused(*line);
    return unexpected("IMAP STARTTLS reply", *line);
  }
}

Result<void> pop3(ProbeConnection& connection) {
  auto greeting = connection.readLine();
  if (!greeting) return fail(greeting.error());
  if (!startsWith(*greeting, "+OK")) return unexpected("POP3 greeting", *greeting);
  if (auto sent = connection.writeAll("STLS\r\n"); !sent) return sent;
  auto reply = connection.readLine();
  if (!reply) return fail(reply.error());
  if (startsWith(*reply, "+OK")) return {};
  if (startsWith(*reply, "-ERR")) return refused(*reply);
  return unexpected("POP3 STLS reply", *reply);
}

/// ManageSieve (RFC 5804 §1.7): the greeting is the capability list, closed by an OK line.
Result<void> sieve(ProbeConnection& connection) {
  bool offered = false;
  for (std::size_t lines = 0;; ++lines) {
    auto line = connection.readLine();
    if (!line) return fail(line.error());
    const std::string text = upper(*line);
    if (startsWith(text, "OK")) break;
    if (startsWith(text, "NO") || startsWith(text, "BYE") || lines > kMaxReplyLines)
      return unexpected("ManageSieve greeting", *line);
    offered = offered || text == "\"STARTTLS\"";
  }
  if (!offered)
    return fail(ErrorKind::Rejected, "STARTTLS not offered in the ManageSieve capabilities");
  if (auto sent = connection.writeAll("STARTTLS\r\n"); !sent) return sent;
  auto reply = connection.readLine();
  if (!reply) return fail(reply.error());
  const std::string text = upper(*reply);
  if (startsWith(text, "OK")) return {};
  if (startsWith(text, "NO") || startsWith(text, "BYE")) return refused(*reply);
  return unexpected("ManageSieve STARTTLS reply", *reply);
}

/// Reads until `done(received)` holds; XMPP has no line framing.
template <class Done>
Result<std::string> readXmppUntil(ProbeConnection& connection, Done done) {
  std::string received;
  while (!done(received)) {
    if (received.size() > kMaxXmppFeatures)
      return fail(ErrorKind::ProtocolViolation, "the XMPP server sent more than " +
                                                    std::to_string(kMaxXmppFeatures) +
                                                    " bytes before its stream features");
    auto more = connection.readSome();
    if (!more) return fail(more.error());
    received += *more;
  }
  return received;
}

/// RFC 6120 §5: open a stream, find <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'> among
/// the features, ask for it, and wait for <proceed/> (or <failure/>).
Result<void> xmpp(ProbeConnection& connection, bool server, const StartTlsIdentity& identity) {
  std::string header = "<?xml version='1.0'?><stream:stream xmlns='jabber:";
  header += server ? "server'" : "client'";
  header += " xmlns:stream='http://etherx.jabber.org/streams' to='" + identity.xmpp_domain + "'";
  if (server) header += " from='" + identity.client_name + "'";
  header += " version='1.0'>";
  if (auto sent = connection.writeAll(header); !sent) return sent;
  auto features = readXmppUntil(connection, [](const std::string& text) {
    return text.find("</stream:features>") != std::string::npos ||
           text.find("<stream:features/>") != std::string::npos ||
           text.find("</stream:error>") != std::string::npos ||
           text.find("</stream:stream>") != std::string::npos;
  });
  if (!features) return fail(features.error());
  if (features->find("<stream:error") != std::string::npos ||
      features->find("<stream:features") == std::string::npos)
    return unexpected("XMPP stream answer", *features);
  if (features->find("urn:ietf:params:xml:ns:xmpp-tls") == std::string::npos)
    return fail(ErrorKind::Rejected, "STARTTLS not offered in the XMPP stream features");
  if (auto sent = connection.writeAll("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"); !sent)
    return sent;
  auto answer = readXmppUntil(connection, [](const std::string& text) {
    return text.find("/>") != std::string::npos || text.find("</") != std::string::npos;
  });
  if (!answer) return fail(answer.error());
  if (answer->find("<proceed") != std::string::npos) return {};
  if (answer->find("<failure") != std::string::npos) return refused(*answer);
  return unexpected("XMPP STARTTLS answer", *answer);
}

/// One BER length (short or long form, up to 4 bytes); nullopt when malformed.
std::optional<std::size_t> berLength(const Bytes& data, std::size_t& at) {
  if (at >= data.size()) return std::nullopt;
  const std::uint8_t first = data[at++];
  if (first < 0x80) return first;
  const std::size_t octets = first & 0x7fU;
  if (octets == 0 || octets > 4 || at + octets > data.size()) return std::nullopt;
  std::size_t length = 0;
  for (std::size_t i = 0; i < octets; ++i)
    length = (length << 8U) | data[at++];
  return length;
}

/// Reads one whole BER TLV (tag, length, value) from the connection.
Result<Bytes> readBerElement(ProbeConnection& connection) {
  auto head = connection.readBytes(2);
  if (!head) return head;
  Bytes element = *head;
  std::size_t length = element[1];
  if (length >= 0x80) {
    const std::size_t octets = length & 0x7fU;
    if (octets == 0 || octets > 4)
      return fail(ErrorKind::ProtocolViolation, "the LDAP server sent a malformed BER length");
    auto more = connection.readBytes(octets);
    if (!more) return more;
    element.insert(element.end(), more->begin(), more->end());
    length = 0;
    for (const std::uint8_t byte : *more)
      length = (length << 8U) | byte;
  }
  if (length > kMaxXmppFeatures)
    return fail(ErrorKind::ProtocolViolation, "the LDAP server sent an oversized response");
  auto value = connection.readBytes(length);
  if (!value) return value;
  element.insert(element.end(), value->begin(), value->end());
  return element;
}

/// RFC 4511 §4.14: ExtendedRequest with the StartTLS OID; the ExtendedResponse's resultCode
/// must be success (0).
Result<void> ldap(ProbeConnection& connection) {
  if (auto sent = connection.writeAll(ldapStartTlsRequest()); !sent) return sent;
  auto message = readBerElement(connection);
  if (!message) return fail(message.error());
  const Bytes& data = *message;
  const auto malformed = [] {
    return fail(ErrorKind::ProtocolViolation,
                "the LDAP server's StartTLS response is not an ExtendedResponse");
  };
  std::size_t at = 0;
  if (data[at++] != 0x30 || !berLength(data, at)) return malformed();  // LDAPMessage
  if (at >= data.size() || data[at++] != 0x02) return malformed();     // messageID
  const auto id_length = berLength(data, at);
  if (!id_length || at + *id_length > data.size()) return malformed();
  at += *id_length;
  if (at >= data.size() || data[at++] != 0x78 || !berLength(data, at)) return malformed();
  if (at + 3 > data.size() || data[at] != 0x0a || data[at + 1] != 0x01) return malformed();
  const int result_code = data[at + 2];
  at += 3;
  if (result_code == 0) return {};
  // matchedDN and diagnosticMessage (OCTET STRINGs) follow; quote the diagnostic.
  std::string diagnostic;
  for (int field = 0; field < 2 && at < data.size() && data[at] == 0x04; ++field) {
    ++at;
    const auto length = berLength(data, at);
    if (!length || at + *length > data.size()) break;
    if (field == 1)
      diagnostic.assign(data.begin() + static_cast<std::ptrdiff_t>(at),
                        data.begin() + static_cast<std::ptrdiff_t>(at + *length));
    at += *length;
  }
  return refused("LDAP result code " + std::to_string(result_code) +
                 (diagnostic.empty() ? "" : " (" + diagnostic + ")"));
}

/// PostgreSQL SSLRequest (protocol 3, §55.2.10): length 8, code 80877103; 'S' = go ahead.
Result<void> postgres(ProbeConnection& connection) {
  static constexpr char kSslRequest[] = {0x00, 0x00, 0x00, 0x08, 0x04, static_cast<char>(0xd2),
                                         0x16, 0x2f};
  if (auto sent = connection.writeAll(std::string_view(kSslRequest, sizeof kSslRequest)); !sent)
    return sent;
  auto answer = connection.readBytes(1);
  if (!answer) return fail(answer.error());
  if (answer->front() == 'S') return {};
  if (answer->front() == 'N') return refused("the server answered N (SSL not supported)");
  return unexpected("PostgreSQL SSLRequest answer",
                    std::string(1, static_cast<char>(answer->front())));
}

}  // namespace

std::string ldapStartTlsRequest() {
  static constexpr std::string_view kOid = "1.3.6.1.4.1.1466.20037";
  std::string request;
  request += '\x30';                                      // LDAPMessage SEQUENCE
  request += static_cast<char>(3 + 2 + 2 + kOid.size());  //   length
  request += "\x02\x01\x01";                              //   messageID INTEGER 1
  request += '\x77';                                      //   [APPLICATION 23] ExtendedReq
  request += static_cast<char>(2 + kOid.size());          //     length
  request += '\x80';                                      //     [0] requestName
  request += static_cast<char>(kOid.size());              //       length
  request += kOid;
  return request;
}

Result<void> negotiateStartTls(ProbeConnection& connection, StartTlsProtocol protocol,
                               const StartTlsIdentity& identity) {
  switch (protocol) {
    case StartTlsProtocol::Implicit:
      return {};
    case StartTlsProtocol::Smtp:
      return smtp(connection, false, identity);
    case StartTlsProtocol::Lmtp:
      return smtp(connection, true, identity);
    case StartTlsProtocol::Imap:
      return imap(connection);
    case StartTlsProtocol::Pop3:
      return pop3(connection);
    case StartTlsProtocol::Ftp:
      return codedCommand(connection, {220}, "AUTH TLS", 234);
    case StartTlsProtocol::XmppClient:
      return xmpp(connection, false, identity);
    case StartTlsProtocol::XmppServer:
      return xmpp(connection, true, identity);
    case StartTlsProtocol::Sieve:
      return sieve(connection);
    case StartTlsProtocol::Ldap:
      return ldap(connection);
    case StartTlsProtocol::Postgres:
      return postgres(connection);
    case StartTlsProtocol::Nntp:
      return codedCommand(connection, {200, 201}, "STARTTLS", 382);
  }
  return fail(ErrorKind::Internal, "unknown STARTTLS protocol");
}

}  // namespace daneguard::adapters::tls
