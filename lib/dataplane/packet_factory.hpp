// New packets the worker makes from one it cannot forward as it is: the ICMP
// error about it (lib/net/icmp_error.hpp) or its IPv4 fragments
// (lib/net/ipv4_fragment.hpp), each in an mbuf from the worker's pool (no
// other allocation). Packets are at their IP header (Ethernet stripped).
#pragma once

#include <rte_mbuf.h>

#include <cstdint>
#include <span>

#include "net/drop_reason.hpp"
#include "net/icmp_error.hpp"
#include "net/ip_address.hpp"

namespace ipsecgw::dataplane {

// Most fragments one packet may become. A 64 KB packet through the smallest
// tunnel MTU the configuration allows (576 minus ESP) needs about 120; beyond
// this bound the packet is refused (FragFailed) rather than holding the pool.
inline constexpr uint32_t kMaxFragments = 128;

// The ICMP error about `offending` from `source`, or nullptr with `why`
// (NoMbuf; IcmpSuppressed if the builder refused).
rte_mbuf* makeIcmpError(const rte_mbuf* offending, IcmpError kind, uint32_t mtu, const IpAddress& source,
                        rte_mempool* pool, DropReason& why);

// Splits the IPv4 packet `m` into fragments of at most `mtu` bytes, stored
// in `out` (in order); returns their number and frees `m`. On failure returns
// 0, leaves `m` alone and sets `why` (MtuExceeded: DF set; FragFailed: header
// not fragmentable, too many fragments or too small an mbuf; NoMbuf); any
// fragment already made is freed.
uint32_t fragmentIpv4(rte_mbuf* m, uint32_t mtu, rte_mempool* pool, std::span<rte_mbuf*> out, DropReason& why);

}  // namespace ipsecgw::dataplane
