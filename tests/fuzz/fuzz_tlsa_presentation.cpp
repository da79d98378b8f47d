// Fuzzes the TLSA presentation parsers. Oracle: whatever either parser accepts must format to
// text that the same parser reads back to an equal record (and the strict form must also be
// accepted by the lenient one); rejected input must simply fail, never crash. The DomainName
// parser gets the same input, with the same round-trip oracle, since both face operator text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/dns/domain_name.hpp"
#include "core/tlsa/tlsa_mnemonics.hpp"
#include "core/tlsa/tlsa_presentation.hpp"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace daneguard;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (const auto strict = parseTlsaRdata(text)) {
    check(tlsaRecordDefect(*strict).empty());
    const auto again = parseTlsaRdata(formatTlsaRdata(*strict));
    check(again.has_value() && *again == *strict);
    const auto lenient = parseTlsaRdataFromDns(text);
    check(lenient.has_value() && *lenient == *strict);
  }
  if (const auto lenient = parseTlsaRdataFromDns(text)) {
    const auto again = parseTlsaRdataFromDns(formatTlsaRdata(*lenient));
    check(again.has_value() && *again == *lenient);
    // Named output reads back too (unassigned values print as numbers).
    const auto parameters =
        parseTlsaParameters(tlsaParametersName(lenient->parameters), TlsaStrictness::Lenient);
    check(parameters.has_value() && *parameters == lenient->parameters);
  }
  if (const auto name = DomainName::parse(text)) {
    const auto again = DomainName::parse(name->toString());
    check(again.has_value() && *again == *name && again->wireLength() <= 255);
  }
  return 0;
}
