// A naive SPD: a linear scan over the policies in order. Test code only: it
// is the oracle of the differential test against the rte_acl Spd (after
// WireGuard's selftest/allowedips.c), so it is written to be obviously right,
// not fast, and shares nothing with spd.cpp but TrafficSelector::matches.
#pragma once

#include <span>
#include <vector>

#include "policy/spd.hpp"

namespace ipsecgw::policy {

class SpdReference {
 public:
  // Orders by priority, equal priorities in the given order (RFC 4301 4.4.1).
  // No validation: give it what SpdBuilder accepted.
  explicit SpdReference(std::vector<Policy> policies);

  const Policy* lookup(const FlowKey& key) const;
  void lookupBurst(std::span<const FlowKey* const> keys, std::span<const Policy*> out) const;
  std::span<const Policy> policies() const { return policies_; }

 private:
  std::vector<Policy> policies_;
};

}  // namespace ipsecgw::policy
