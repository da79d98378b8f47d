// certbot source findings (see the header).
#include "app/check/certbot_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <type_traits>
#include <variant>

namespace daneguard::app::check {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// configobj values may be quoted; certbot writes them bare.
std::string_view unquote(std::string_view value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front())
    return value.substr(1, value.size() - 2);
  return value;
}

std::string normal(const std::string& path) {
  return std::filesystem::path(path).lexically_normal().string();
}

/// True when `path` lies below directory `dir` (both lexically normalised, dir without slash).
bool isBelow(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() + 1 && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

bool hasSpkiEeRecord(const config::Service& service) {
  return std::any_of(service.records.begin(), service.records.end(), [](const auto& parameters) {
    return parameters.usage == TlsaUsage::DaneEe && parameters.selector == TlsaSelector::Spki;
  });
}

/// Every record survives a renewal that keeps the key: only DANE-EE SPKI records do.
bool onlySpkiEeRecords(const config::Service& service) {
  return std::all_of(service.records.begin(), service.records.end(), [](const auto& parameters) {
    return parameters.usage == TlsaUsage::DaneEe && parameters.selector == TlsaSelector::Spki;
  });
}

struct LineageFacts {
  const config::Service* service = nullptr;
  const config::CertbotLineageSource* source = nullptr;
  std::string renewal_conf;
  bool reuses_key = false;  // known to reuse (false also when the conf could not be read)
};

std::string reuseKeyFix(const LineageFacts& lineage) {
  return fmt::format(
      "certbot 2.3 or later: `certbot reconfigure --cert-name {} --reuse-key`; older certbot "
      "(Debian 12 ships 2.1): add the line `reuse_key = True` right below [renewalparams] in {}. "
      "It applies from the next renewal on, which then keeps the key and its TLSA record.",
      lineage.source->lineage, lineage.renewal_conf);
}

void checkRenewalConf(LineageFacts& lineage, const CertbotCheckInputs& inputs, Findings& findings) {
  const config::Service& service = *lineage.service;
  const std::string& name = lineage.source->lineage;
  auto text = inputs.read_file(lineage.renewal_conf);
  if (!text) {
    findings.push_back(
        {Severity::Warning, service.name, lineage.renewal_conf,
         "cannot read certbot's renewal configuration of lineage '" + name +
             "': " + text.error().message,
         text.error().kind == ErrorKind::NotFound
             ? "check `certificate.config_dir` and `certificate.lineage` against `certbot "
               "certificates`; without this file certbot does not renew the lineage"
             : "run `daneguard check` as a user that may read " + lineage.renewal_conf});
    return;
  }
  auto settings = parseCertbotRenewalConf(*text);
  if (!settings) {
    findings.push_back({Severity::Warning, service.name, lineage.renewal_conf,
                        settings.error().message,
                        "certbot refuses this value too; write `reuse_key = True`"});
    return;
  }
  lineage.reuses_key = settings->reuse_key.value_or(false);
  if (!hasSpkiEeRecord(service)) return;
  if (lineage.reuses_key) {
    findings.push_back({Severity::Ok, service.name, lineage.renewal_conf,
                        "lineage '" + name +
                            "' reuses its key: renewals keep the DANE-EE SPKI record and are "
                            "deployed without a DNS change or wait",
                        ""});
    return;
  }
  findings.push_back(
      {Severity::Warning, service.name, lineage.renewal_conf,
       "lineage '" + name + "' gets a new key at every renewal (" +
           (settings->reuse_key ? std::string("reuse_key = False")
                                : std::string("no reuse_key = True")) +
           " in [renewalparams]): every renewal changes the DANE-EE SPKI record, so each one is "
           "a full rollover that waits out the cache window before the certificate is deployed",
       reuseKeyFix(lineage)});
}

void checkServerFiles(const LineageFacts& lineage, const CertbotCheckInputs& inputs,
                      Findings& findings) {
  const std::string base = normal(lineage.source->config_dir);
  const std::string live = normal(base + "/live/" + lineage.source->lineage);
  const std::string archive = normal(base + "/archive/" + lineage.source->lineage);
  const bool survives_renewal = lineage.reuses_key && onlySpkiEeRecords(*lineage.service);
  for (const ServerCertificateFiles& server : inputs.servers) {
    for (const std::string& raw : server.paths) {
      const std::string path = normal(raw);
      if (!isBelow(path, live) && !isBelow(path, archive)) continue;
      findings.push_back(
          {survives_renewal ? Severity::Warning : Severity::Error, lineage.service->name,
           server.server,
           server.server + " reads " + path + " of certbot lineage '" + lineage.source->lineage +
               "' directly: certbot's renewal changes the certificate it serves at once, " +
               (survives_renewal
                    ? std::string("outside daneguard's control (the key is reused, so the "
                                  "records still match, but any other change is not checked)")
                    : std::string("before the new TLSA records are published and old copies "
                                  "have left resolver caches: DANE clients fail until then")),
           "let daneguard deploy the certificate and point the server at its copy: deploy = { "
           "type = \"install\", directory = \"/etc/daneguard/" +
               lineage.service->name +
               "\", reload = [[\"postfix\", \"reload\"]] } and, for Postfix, "
               "smtpd_tls_chain_files = /etc/daneguard/" +
               lineage.service->name + "/privkey.pem, /etc/daneguard/" + lineage.service->name +
               "/fullchain.pem (or the files your deploy hook writes)"});
    }
  }
}

}  // namespace

Result<CertbotRenewalSettings> parseCertbotRenewalConf(std::string_view text) {
  CertbotRenewalSettings settings;
  bool in_renewalparams = false;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') {
      // "[renewalparams]" is depth 1; "[[webroot_map]]" a subsection whose keys are domains.
      const std::size_t depth = line.find_first_not_of('[');
      const std::string_view name = trim(line.substr(depth, line.find(']') - depth));
      in_renewalparams = depth == 1 && name == "renewalparams";
      continue;
    }
    if (!in_renewalparams) continue;
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view key = trim(line.substr(0, equals));
    std::string_view value = trim(line.substr(equals + 1));
    if (const auto comment = value.find(" #"); comment != std::string_view::npos)
      value = trim(value.substr(0, comment));
    value = unquote(value);
    if (key == "reuse_key") {
      const std::string word = lower(value);
      // certbot's own rule (renewal._restore_bool): True or False, any case.
      if (word != "true" && word != "false")
        return fail(
            ErrorKind::InvalidInput,
            fmt::format("line {}: reuse_key must be True or False, not '{}'", line_number, value));
      settings.reuse_key = word == "true";
    } else if (key == "key_type") {
      settings.key_type = std::string(value);
    }
  }
  return settings;
}

std::vector<std::string> postconfArgv(std::string_view config_directory) {
  return {"postconf",
          "-c",
          std::string(config_directory),
          "-x",
          "-h",
          "smtpd_tls_chain_files",
          "smtpd_tls_cert_file",
          "smtpd_tls_key_file",
          "smtpd_tls_eccert_file",
          "smtpd_tls_eckey_file",
          "smtpd_tls_dcert_file",
          "smtpd_tls_dkey_file"};
}

std::vector<std::string> parsePostconfFiles(std::string_view output) {
  std::vector<std::string> paths;
  std::string current;
  const auto flush = [&] {
    if (!current.empty() && std::find(paths.begin(), paths.end(), current) == paths.end())
      paths.push_back(current);
    current.clear();
  };
  for (const char c : output) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      flush();
    } else {
      current.push_back(c);
    }
  }
  flush();
  return paths;
}

Findings checkCertbotSources(const config::Config& config, const CertbotCheckInputs& inputs) {
  Findings findings;
  for (const config::Service& service : config.services) {
    const auto* source = std::get_if<config::CertbotLineageSource>(&service.certificate);
    if (source == nullptr) continue;
    LineageFacts lineage;
    lineage.service = &service;
    lineage.source = source;
    lineage.renewal_conf = normal(source->config_dir + "/renewal/" + source->lineage + ".conf");
    checkRenewalConf(lineage, inputs, findings);
    checkServerFiles(lineage, inputs, findings);
  }
  return findings;
}

}  // namespace daneguard::app::check
