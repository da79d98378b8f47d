// certbot source findings (see the header).
#include "app/check/certbot_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <type_traits>
#include <variant>

#include "core/certbot/renewal_conf.hpp"

namespace daneguard::app::check {
namespace {

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
  auto settings = certbot::parseRenewalConf(*text, lineage.renewal_conf);
  if (!settings) {
    findings.push_back({Severity::Warning, service.name, lineage.renewal_conf,
                        settings.error().message,
                        "certbot cannot renew with this file either: correct the line named "
                        "(reuse_key takes True or False)"});
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
