#include "policy/inbound_check.hpp"

#include "net/flow_key.hpp"

namespace ipsecgw::policy {

DropReason checkInbound(std::span<const TrafficSelector> saSelectors, std::span<const uint8_t> decryptedInnerPacket) {
  FlowKey key;
  if (parseFlowKey(decryptedInnerPacket, key) != DropReason::None) return DropReason::Malformed;
  for (const TrafficSelector& sel : saSelectors) {
    if (sel.matches(key)) return DropReason::None;
  }
  return DropReason::PolicyMismatch;
}

}  // namespace ipsecgw::policy
