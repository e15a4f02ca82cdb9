#include "policy/spd_reference.hpp"

#include <algorithm>
#include <cassert>

namespace ipsecgw::policy {

SpdReference::SpdReference(std::vector<Policy> policies) : policies_(std::move(policies)) {
  std::stable_sort(policies_.begin(), policies_.end(),
                   [](const Policy& a, const Policy& b) { return a.priority < b.priority; });
}

const Policy* SpdReference::lookup(const FlowKey& key) const {
  for (const Policy& p : policies_) {
    if (p.sel.matches(key)) return &p;
  }
  return nullptr;
}

void SpdReference::lookupBurst(std::span<const FlowKey* const> keys, std::span<const Policy*> out) const {
  assert(out.size() >= keys.size());
  for (size_t i = 0; i < keys.size(); ++i) out[i] = lookup(*keys[i]);
}

}  // namespace ipsecgw::policy
