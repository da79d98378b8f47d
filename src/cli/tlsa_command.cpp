// `daneguard tlsa`: prints TLSA records for certificate files, like hash-slinger's `tlsa
// --create` and `ldns-dane create`, but defaulting to 3 1 1 and accepting RFC 7218 names.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "adapters/openssl/pem_bundle.hpp"
#include "app/tlsa_listing.hpp"
#include "cli/command.hpp"
#include "core/hex.hpp"
#include "core/tlsa/tlsa_mnemonics.hpp"
#include "core/tlsa/tlsa_presentation.hpp"

namespace daneguard::cli {
namespace {

struct TlsaOptions {
  std::vector<std::string> files;
  std::string usage = "dane-ee";
  std::string selector = "spki";
  std::string matching_type = "sha2-256";
  std::vector<std::string> records;
  std::vector<std::string> hosts;
  std::vector<std::uint16_t> ports{25};
  std::string protocol = "tcp";
  std::optional<std::uint32_t> ttl;
  std::optional<std::string> chain;
  bool json = false;
};

Result<std::vector<TlsaParameters>> requestedParameters(const TlsaOptions& options,
                                                        bool triple_given) {
  std::vector<TlsaParameters> parameters;
  if (!options.records.empty()) {
    if (triple_given) {
      return fail(ErrorKind::Usage, "--record cannot be combined with --usage/--selector/--mtype");
    }
    for (const std::string& text : options.records) {
      auto parsed = parseTlsaParameters(text);
      if (!parsed) return fail(std::move(parsed.error()).withContext("--record '" + text + "'"));
      parameters.push_back(*parsed);
    }
    return parameters;
  }
  auto usage = parseTlsaUsage(options.usage);
  if (!usage) return fail(std::move(usage.error()).withContext("--usage"));
  auto selector = parseTlsaSelector(options.selector);
  if (!selector) return fail(std::move(selector.error()).withContext("--selector"));
  auto matching_type = parseTlsaMatchingType(options.matching_type);
  if (!matching_type) return fail(std::move(matching_type.error()).withContext("--mtype"));
  parameters.push_back(TlsaParameters{*usage, *selector, *matching_type});
  return parameters;
}

Result<std::vector<app::NamedChain>> loadChains(const TlsaOptions& options) {
  std::vector<app::NamedChain> chains;
  for (const std::string& file : options.files) {
    Result<CertificateChain> chain =
        options.chain ? adapters::openssl::loadCertificateFiles({.certificate = file,
                                                                 .chain = *options.chain,
                                                                 .fullchain = std::nullopt,
                                                                 .private_key = std::nullopt})
                            .map([](adapters::openssl::LoadedCertificate&& loaded) {
                              return std::move(loaded.chain);
                            })
                      : adapters::openssl::loadCertificateChain(file);
    if (!chain) return fail(std::move(chain.error()));
    chains.push_back({file, std::move(*chain)});
  }
  return chains;
}

void printText(const app::TlsaListing& listing, const TlsaOptions& options) {
  for (const app::TlsaListingEntry& entry : listing.entries) {
    const std::string rdata = formatTlsaRdata(entry.record);
    if (!entry.owner) {
      fmt::print("{}\n", rdata);
    } else if (options.ttl) {
      fmt::print("{} {} IN TLSA {}\n", entry.owner->toString(), *options.ttl, rdata);
    } else {
      fmt::print("{} IN TLSA {}\n", entry.owner->toString(), rdata);
    }
  }
}

void printJson(const app::TlsaListing& listing, const std::vector<app::NamedChain>& chains,
               const TlsaOptions& options) {
  nlohmann::json records = nlohmann::json::array();
  for (const app::TlsaListingEntry& entry : listing.entries) {
    const TlsaParameters& p = entry.record.parameters;
    const CertificateFacts& certificate = chains[entry.chain_index].chain.certificates[entry.depth];
    nlohmann::json record{
        {"usage", static_cast<int>(p.usage)},
        {"selector", static_cast<int>(p.selector)},
        {"matching_type", static_cast<int>(p.matching_type)},
        {"parameters", tlsaParametersName(p)},
        {"data", toHex(entry.record.data)},
        {"rdata", formatTlsaRdata(entry.record)},
        {"certificate",
         {{"file", chains[entry.chain_index].source},
          {"depth", entry.depth},
          {"subject", certificate.subject},
          {"key", certificate.public_key.description()}}},
    };
    record["owner"] = entry.owner ? nlohmann::json(entry.owner->toString()) : nlohmann::json();
    if (options.ttl) record["ttl"] = *options.ttl;
    records.push_back(std::move(record));
  }
  const nlohmann::json document{{"records", records}, {"warnings", listing.warnings}};
  fmt::print("{}\n", document.dump(2));
}

Result<int> runTlsa(const TlsaOptions& options, bool triple_given) {
  auto parameters = requestedParameters(options, triple_given);
  if (!parameters) return fail(std::move(parameters.error()));
  auto chains = loadChains(options);
  if (!chains) return fail(std::move(chains.error()));
  const app::TlsaListingRequest request{*parameters, options.hosts, options.ports,
                                        options.protocol};
  auto listing = app::listTlsaRecords(*chains, request);
  if (!listing) return fail(std::move(listing.error()));
  for (const std::string& warning : listing->warnings) {
    fmt::print(stderr, "daneguard: warning: {}\n", warning);
  }
  if (options.json) {
    printJson(*listing, *chains, options);
  } else {
    printText(*listing, options);
  }
  if (listing->entries.empty()) {
    return fail(ErrorKind::InvalidInput, "no TLSA record could be computed (see warnings)");
  }
  return 0;
}

}  // namespace

CommandAction registerTlsaCommand(CLI::App& parent) {
  auto options = std::make_shared<TlsaOptions>();
  CLI::App* command = parent.add_subcommand(
      "tlsa", "Print TLSA records for certificate files (default: 3 1 1, DANE-EE SPKI SHA2-256)");
  command
      ->add_option("FILE", options->files,
                   "PEM files: a certificate, a full chain, or a key+certificate bundle")
      ->required();
  auto* usage = command->add_option("-u,--usage", options->usage,
                                    "0-3 or pkix-ta, pkix-ee, dane-ta, dane-ee [dane-ee]");
  auto* selector =
      command->add_option("-s,--selector", options->selector, "0-1 or cert, spki [spki]");
  auto* matching = command->add_option("-m,--mtype,--matching-type", options->matching_type,
                                       "0-2 or full, sha2-256, sha2-512 [sha2-256]");
  command->add_option("-r,--record", options->records,
                      R"(parameter triple, repeatable: "3 1 1" or "dane-ta spki sha2-256")");
  command->add_option("--host", options->hosts,
                      "print zone-file lines for _PORT._PROTO.HOST (repeatable)");
  command->add_option("-p,--port", options->ports, "port(s) for owner names [25]")
      ->check(CLI::Range(1, 65535));
  command->add_option("--protocol", options->protocol, "tcp, udp or sctp [tcp]");
  command->add_option("--ttl", options->ttl, "TTL to put in zone-file lines");
  command->add_option("--chain", options->chain,
                      "file with the issuer certificates, for certificate files without them");
  command->add_flag("--json", options->json, "machine-readable output");
  return [options, usage, selector, matching] {
    const bool triple_given = usage->count() + selector->count() + matching->count() > 0;
    return runTlsa(*options, triple_given);
  };
}

}  // namespace daneguard::cli
