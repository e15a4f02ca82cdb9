#include "policy/selector.hpp"

namespace ipsecgw::policy {

bool TrafficSelector::matches(const FlowKey& key) const {
  if (proto != 0 && proto != key.proto) return false;
  if (!src.contains(key.src) || !dst.contains(key.dst)) return false;
  if (key.portsOpaque) return srcPortsAny() && dstPortsAny();
  return key.srcPort >= srcPortLo && key.srcPort <= srcPortHi && key.dstPort >= dstPortLo && key.dstPort <= dstPortHi;
}

std::string TrafficSelector::toString() const {
  std::string s = src.toString() + " -> " + dst.toString() + " proto " + (proto == 0 ? "any" : std::to_string(proto));
  if (!srcPortsAny()) s += " sport " + std::to_string(srcPortLo) + "-" + std::to_string(srcPortHi);
  if (!dstPortsAny()) s += " dport " + std::to_string(dstPortLo) + "-" + std::to_string(dstPortHi);
  return s;
}

}  // namespace ipsecgw::policy
