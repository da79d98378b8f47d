// RAII owners for ldns objects. Only adapters/dns includes <ldns/ldns.h>.
// Ownership notes that bite: ldns_update_pkt_new() takes the zone rdf but CLONES the RR lists,
// so the lists stay ours; ldns_rr_push_rdf()/ldns_rr_list_push_rr() take ownership of what is
// pushed; ldns_pkt2wire() returns malloc'd memory.
#pragma once

// ldns/common.h #defines bool/false/true unless __bool_true_false_are_defined is set, which
// breaks C++ headers included later (std::optional's operator<=> compares with `false`).
// <stdbool.h> sets that guard without defining anything in C++.
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers)
// clang-format off
#include <ldns/ldns.h>
// clang-format on

#include <cstdlib>
#include <memory>
#include <string>

namespace daneguard::adapters::dns {

template <auto FreeFunction>
struct LdnsFree {
  template <class T>
  void operator()(T* handle) const noexcept {
    FreeFunction(handle);
  }
};
struct MallocFree {
  // ldns hands out malloc()ed buffers (ldns_pkt2wire); this deleter is their one owner.
  void operator()(void* memory) const noexcept {
    // NOLINTNEXTLINE(cppcoreguidelines-owning-memory)
    std::free(memory);
  }
};

using LdnsPktPtr = std::unique_ptr<ldns_pkt, LdnsFree<&ldns_pkt_free>>;
using LdnsRrPtr = std::unique_ptr<ldns_rr, LdnsFree<&ldns_rr_free>>;
using LdnsRrListPtr = std::unique_ptr<ldns_rr_list, LdnsFree<&ldns_rr_list_deep_free>>;
using LdnsRdfPtr = std::unique_ptr<ldns_rdf, LdnsFree<&ldns_rdf_deep_free>>;
using LdnsBufferPtr = std::unique_ptr<ldns_buffer, LdnsFree<&ldns_buffer_free>>;
using MallocBytesPtr = std::unique_ptr<std::uint8_t, MallocFree>;
using MallocCharsPtr = std::unique_ptr<char, MallocFree>;

/// ldns_rdf2str() as a std::string ("" if ldns cannot print it).
inline std::string rdfToString(const ldns_rdf* rdf) {
  if (rdf == nullptr) return {};
  MallocCharsPtr text(ldns_rdf2str(rdf));
  return text ? std::string(text.get()) : std::string();
}

}  // namespace daneguard::adapters::dns
