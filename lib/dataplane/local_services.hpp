// What the gateway answers itself: ARP (RFC 826), IPv6 neighbour discovery
// (RFC 4861 NS/NA), ICMP/ICMPv6 echo (RFC 792, RFC 4443). Replies are built
// in place in the received mbuf and go back to the sender's MAC on the
// receiving port; solicitations for next hops are built in new mbufs.
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/gateway_tables.hpp"

namespace ipsecgw::dataplane {

// `m` starts at its Ethernet header. Each returns true when `m` has become a
// reply to transmit on `port` as it is; false when it was consumed without
// reply (learned from, not for us): the caller frees it.
bool handleArp(GatewayTables& t, uint16_t port, rte_mbuf* m, rte_mbuf** released, size_t& nReleased);
bool answerEchoV4(const GatewayPort& p, rte_mbuf* m);
bool answerEchoV6(const GatewayPort& p, rte_mbuf* m);
// Neighbour solicitation for one of our addresses -> advertisement; an
// advertisement or a solicitation's source link-layer option teaches us the
// sender's MAC. `released`: packets that waited for that MAC.
bool handleNeighborDiscovery(GatewayTables& t, uint16_t port, rte_mbuf* m, rte_mbuf** released,
                             size_t& nReleased);

// A new frame asking for `target`'s MAC on `port`: ARP request or NS to the
// solicited-node multicast address. nullptr if the pool is empty or the port
// has no address of that family.
rte_mbuf* buildSolicitation(const GatewayPort& p, const IpAddress& target, rte_mempool* pool);

// True if the IPv6 packet at `ip6` (Ethernet stripped) is ICMPv6 neighbour
// discovery (NS 135 / NA 136), which goes to handleNeighborDiscovery whatever
// its destination address (solicited-node multicast).
bool isNeighborDiscovery(const uint8_t* ip6, uint32_t len);

}  // namespace ipsecgw::dataplane
