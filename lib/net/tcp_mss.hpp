// TCP MSS clamping: lower the MSS option of SYN and SYN-ACK segments so that
// full-size segments still fit the tunnel after ESP overhead, instead of
// relying on ICMP "fragmentation needed" reaching the hosts (RFC 4459 3.3:
// path MTU discovery through tunnels is often broken). The checksum is
// updated incrementally (RFC 1624).
#pragma once

#include <cstdint>

namespace ipsecgw {

// `ip` points at an IPv4 or IPv6 packet of `len` bytes. If it is a TCP SYN
// whose MSS option exceeds `maxMss`, rewrites it to `maxMss` and returns true.
// Anything else (not TCP, no SYN, no MSS option, IPv6 extension headers,
// fragments, truncated options) is left alone.
bool clampTcpMss(uint8_t* ip, uint32_t len, uint16_t maxMss);

}  // namespace ipsecgw
