// The `type = "external"` publisher: Alnitak's external-program protocol, so that scripts
// written for Alnitak keep working. One run of the program per record, without a shell, with a
// clean environment (PosixHookRunner: PATH and LANG fixed, nothing of daneguard's own) plus:
//   TLSA_OPERATION  publish | delete
//   TLSA_USAGE, TLSA_SELECTOR, TLSA_MATCHING   one digit each, e.g. 3, 1, 1
//   TLSA_PARAM      the three digits together, e.g. 311
//   TLSA_PORT, TLSA_PROTOCOL, TLSA_DOMAIN      25, tcp, mail.example.com (no trailing dot):
//                                              the record is _<port>._<protocol>.<domain>
//   TLSA_HASH       the record's data, lower-case hex
//   TLSA_LIVE_HASH  delete only, when a record with the same parameters stays at the owner:
//                   its data (Alnitak's conditional delete: "delete the old one if this one is
//                   up"); absent for an unconditional delete
//   ZONE_DOMAIN     the zone apex (no trailing dot; Alnitak's variable, computed correctly)
//   TLSA_TTL        the TTL daneguard wants for the RRset (daneguard's addition)
// Exit status: 0 done; 1 on publish "already published" (success), on delete "the new record is
// not up yet" (the old one stays: Transient, so the run is retried and ownership is kept);
// 75 temporary failure (Transient); anything else, or a signal, is an error with the last line
// of stderr. Additions run before deletions, one record at a time: the change is not atomic, so
// a failure part-way leaves the earlier records done, and a retry repeats them (the program
// must answer 1 or 0 for a record that is already there, and 0 for deleting one that is gone).
//
// Prerequisites are evaluated by querying the publisher's dns_server before the first run.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "ports/dns_query.hpp"
#include "ports/hook_runner.hpp"
#include "ports/publisher_directory.hpp"

namespace daneguard::adapters::publishers {

/// The owner `_25._tcp.mail.example.com.` split into 25, "tcp", "mail.example.com".
struct TlsaOwnerParts {
  std::string port;
  std::string protocol;
  std::string domain;
};
Result<TlsaOwnerParts> splitTlsaOwner(const std::string& owner);

class ExternalProgramPublisher final : public ports::DnsUpdate, public ports::PublisherAccessCheck {
 public:
  ExternalProgramPublisher(std::string name, config::ExternalProgramPublisher config,
                           ports::HookRunner& runner, ports::DnsQuery& query);

  Result<ports::UpdateOutcome> apply(const ports::UpdateRequest& request) override;
  /// The program exists, is executable and nobody but root or daneguard's user can replace it.
  Result<std::string> checkAccess(const ports::DnsServer& server, const std::string& zone,
                                  const std::vector<std::string>& owners) override;

 private:
  enum class Answer { Done, AlreadyOrNotYet };
  Result<Answer> run(const std::string& operation, const ports::TlsaRecordAt& record,
                     const std::string& zone, std::uint32_t ttl, const std::string* live_hash);

  std::string name_;
  std::string who_;  // "publisher 'NAME' (external program /path)"
  config::ExternalProgramPublisher config_;
  ports::HookRunner& runner_;
  ports::DnsQuery& query_;
};

}  // namespace daneguard::adapters::publishers
