// RAII owners for libunbound objects. Only adapters/resolver includes <unbound.h>.
#pragma once

#include <unbound.h>

#include <memory>

namespace daneguard::adapters::resolver {

struct UbCtxDelete {
  void operator()(ub_ctx* context) const noexcept { ub_ctx_delete(context); }
};
struct UbResultFree {
  void operator()(ub_result* result) const noexcept { ub_resolve_free(result); }
};

using UbCtxPtr = std::unique_ptr<ub_ctx, UbCtxDelete>;
using UbResultPtr = std::unique_ptr<ub_result, UbResultFree>;

}  // namespace daneguard::adapters::resolver
