// A traffic selector: one RFC 4301 4.4.1.1 selector set (addresses, Next
// Layer Protocol, port ranges) as the SPD entries and the SAs carry it.
#pragma once

#include <cstdint>
#include <string>

#include "net/flow_key.hpp"
#include "net/ip_address.hpp"

namespace ipsecgw::policy {

struct TrafficSelector {
  // Both prefixes name the same family; a selector covers one family (write
  // two policies for "any address of either family").
  IpPrefix src, dst;
  uint8_t proto = 0;  // 0 = ANY (RFC 7296 3.13.1 uses the same encoding)
  // Inclusive ranges; 0..65535 is ANY. For ICMP/ICMPv6 the "ports" are type
  // (src) and code (dst), matching FlowKey.
  uint16_t srcPortLo = 0, srcPortHi = 65535, dstPortLo = 0, dstPortHi = 65535;

  bool srcPortsAny() const { return srcPortLo == 0 && srcPortHi == 65535; }
  bool dstPortsAny() const { return dstPortLo == 0 && dstPortHi == 65535; }

  // Data plane: no allocation. An OPAQUE port (FlowKey::portsOpaque) only
  // matches an ANY range (RFC 4301 4.4.1.1: "ANY" matches OPAQUE, a specific
  // range does not).
  bool matches(const FlowKey& key) const;

  std::string toString() const;
};

}  // namespace ipsecgw::policy
