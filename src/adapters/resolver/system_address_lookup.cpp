#include "adapters/resolver/system_address_lookup.hpp"

namespace daneguard::adapters::resolver {
namespace {

Error noValidation(const std::string& what) {
  return Error{ErrorKind::Usage,
               what +
                   ": no validating DNS configured (the system resolver is used only for "
                   "addresses with --tlsa); give --trust-anchor or --resolver"};
}

}  // namespace

Result<ports::ValidatedTlsa> SystemAddressLookup::tlsa(const std::string& owner) {
  return fail(noValidation("TLSA lookup of " + owner));
}

Result<ports::ValidatedMx> SystemAddressLookup::mx(const std::string& domain) {
  return fail(noValidation("MX lookup of " + domain));
}

Result<ports::ValidatedAddresses> SystemAddressLookup::addresses(const std::string& host) {
  ports::ValidatedAddresses result;
  result.host = host;
  result.status = ports::DnssecStatus::Insecure;
  auto resolved = system_resolver_.resolve(host);
  if (resolved) {
    result.addresses = std::move(*resolved);
    return result;
  }
  if (resolved.error().kind == ErrorKind::NotFound) return result;
  return fail(std::move(resolved.error()));
}

}  // namespace daneguard::adapters::resolver
