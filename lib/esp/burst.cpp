#include "esp/burst.hpp"

#include <cassert>

namespace ipsecgw::esp {

uint32_t compactBurst(std::span<PacketBuffer*> pkts, std::span<DropReason> reasons) {
  assert(pkts.size() <= kMaxBurst && reasons.size() >= pkts.size());
  PacketBuffer* failed[kMaxBurst];
  DropReason failedWhy[kMaxBurst];
  uint32_t good = 0, bad = 0;
  for (uint32_t i = 0; i < pkts.size(); ++i) {
    if (reasons[i] == DropReason::None) {
      pkts[good++] = pkts[i];
    } else {
      failed[bad] = pkts[i];
      failedWhy[bad++] = reasons[i];
    }
  }
  for (uint32_t i = 0; i < good; ++i) reasons[i] = DropReason::None;
  for (uint32_t i = 0; i < bad; ++i) {
    pkts[good + i] = failed[i];
    reasons[good + i] = failedWhy[i];
  }
  return good;
}

}  // namespace ipsecgw::esp
