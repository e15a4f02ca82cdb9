// ICMP error messages a router sends about a packet it could not forward:
// "fragmentation needed" (RFC 792 type 3 code 4, with the next-hop MTU of
// RFC 1191), ICMPv6 "packet too big" (RFC 4443 3.2), and "time exceeded in
// transit" (RFC 792 type 11 code 0, RFC 4443 3.3 type 3 code 0). Built on
// plain byte spans so they can be tested without an EAL; the data plane puts
// them into mbufs (lib/dataplane/icmp_errors.hpp).
#pragma once

#include <cstdint>
#include <span>

#include "net/ip_address.hpp"

namespace ipsecgw {

enum class IcmpError : uint8_t {
  PacketTooBig,  // IPv4: destination unreachable / fragmentation needed and DF set; IPv6: packet too big
  TimeExceeded,  // TTL / hop limit exceeded in transit
};

// Most bytes an ICMP error packet (IP header included) may have: RFC 1812
// 4.3.2.3 bounds IPv4 errors by 576 bytes, RFC 4443 2.4(c) IPv6 errors by the
// minimum MTU of 1280. The offending packet is quoted up to these.
inline constexpr uint32_t kIcmpV4ErrorMax = 576;
inline constexpr uint32_t kIcmpV6ErrorMax = 1280;

// Whether an error may be sent about `offending` (an IP packet, Ethernet
// stripped) at all. Never about (RFC 1812 4.3.2.7, RFC 4443 2.4(e)):
// an ICMP error message, a non-first fragment, a packet to a multicast or
// broadcast address (IPv6: except packet too big), or a packet whose source
// does not name one host (unspecified, multicast, loopback, limited
// broadcast). A packet too short to tell is refused.
bool icmpErrorAllowed(std::span<const uint8_t> offending, IcmpError kind);

// Writes into `out` the IP packet carrying the error about `offending`, from
// `source` (the gateway's address on the port the packet arrived on, same
// family as the packet) back to the packet's source. `mtu` is the MTU field
// of a PacketTooBig (ignored otherwise). Quotes as much of `offending` as
// the size bound and `out` allow, at least its IP header and 8 bytes
// (RFC 792) when the packet has them. Returns the length written, or 0 when
// the families differ or `out` cannot hold even the minimum.
uint32_t buildIcmpError(std::span<const uint8_t> offending, IcmpError kind, uint32_t mtu, const IpAddress& source,
                        std::span<uint8_t> out);

}  // namespace ipsecgw
