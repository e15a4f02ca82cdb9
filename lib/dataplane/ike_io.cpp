#include "dataplane/ike_io.hpp"

#include <rte_ethdev.h>

#include <algorithm>
#include <cstring>

#include "dataplane/ike_datagram.hpp"
#include "dataplane/local_services.hpp"
#include "dataplane/packet_factory.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::dataplane {

IkeIo::IkeIo(GatewayTables& tables, ExceptionRing& ring, rte_mempool* pool, uint16_t txQueue)
    : t_(tables), ring_(ring), pool_(pool), txQueue_(txQueue) {}

uint32_t IkeIo::receive(std::vector<ike::Datagram>& out, uint32_t max) {
  uint32_t got = 0;
  rte_mbuf* pkts[32];
  while (got < max) {
    const uint32_t n = ring_.pop(pkts, std::min<uint32_t>(32, max - got));
    if (n == 0) break;
    for (uint32_t i = 0; i < n; ++i) {
      rte_mbuf* m = pkts[i];
      ike::Datagram d;
      bool badChecksum = false;
      const DropReason r =
          decodeIkeDatagram({rte_pktmbuf_mtod(m, const uint8_t*), m->data_len}, d, badChecksum);
      rte_pktmbuf_free(m);
      if (r != DropReason::None) {
        (badChecksum ? counters_.rxBadChecksum : counters_.rxMalformed)++;
        continue;
      }
      counters_.rxDatagrams++;
      out.push_back(std::move(d));
      ++got;
    }
  }
  return got;
}

void IkeIo::send(const ike::Datagram& d, uint64_t nowMs) {
  if (t_.localPort(d.local.address) < 0 || d.local.address.family != d.remote.address.family) {
    counters_.txNotLocal++;
    return;
  }
  const NextHop* hop = t_.routes->lookup(d.remote.address);
  if (!hop) {
    counters_.txNoRoute++;
    return;
  }
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (!m) {
    counters_.txNoMbuf++;
    return;
  }
  const uint32_t len = encodedIkeDatagramSize(d);
  auto* p = len <= rte_pktmbuf_tailroom(m) ? reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(len)))
                                           : nullptr;
  if (!p || encodeIkeDatagram(d, ipv4Id_++, {p, len}) != len) {
    rte_pktmbuf_free(m);
    counters_.txTooBig++;
    return;
  }
  counters_.txDatagrams++;
  const uint16_t port = hop->port;
  const IpAddress nextHop = hop->gateway ? *hop->gateway : d.remote.address;
  const uint16_t mtu = t_.ports[port].mtu;
  if (len <= mtu) {
    transmitIp(port, m, nextHop, nowMs);
    return;
  }
  // A message larger than the link (big IKE_AUTH without RFC 7383
  // fragmentation): IPv4 fragments it (DF is clear), IPv6 routers may not.
  rte_mbuf* frags[kMaxFragments];
  DropReason why;
  const uint32_t n = d.remote.address.isV4() ? fragmentIpv4(m, mtu, pool_, frags, why) : 0;
  if (n == 0) {
    rte_pktmbuf_free(m);
    counters_.txTooBig++;
    return;
  }
  for (uint32_t i = 0; i < n; ++i) transmitIp(port, frags[i], nextHop, nowMs);
}

void IkeIo::transmitIp(uint16_t port, rte_mbuf* m, const IpAddress& nextHop, uint64_t nowMs) {
  if (const rte_ether_addr* mac = t_.neighbors.lookup(port, nextHop)) {
    const bool v4 = (rte_pktmbuf_mtod(m, const uint8_t*)[0] >> 4) == 4;
    auto* eth = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN));
    if (!eth) {
      rte_pktmbuf_free(m);
      counters_.txNoMbuf++;
      return;
    }
    std::memcpy(eth, mac->addr_bytes, 6);
    std::memcpy(eth + 6, t_.ports[port].ethdev->mac().addr_bytes, 6);
    storeBe16(eth + 12, v4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
    transmitFrame(port, m);
    return;
  }
  // As the worker's route(): wait for ARP/ND in the bounded hold queue.
  if (!t_.neighbors.hold(port, nextHop, m)) {
    rte_pktmbuf_free(m);
    counters_.txNoNeighbor++;
    return;
  }
  counters_.txHeld++;
  if (t_.neighbors.shouldSolicit(port, nextHop, nowMs))
    if (rte_mbuf* s = buildSolicitation(t_.ports[port], nextHop, pool_)) transmitFrame(port, s);
}

bool IkeIo::transmitFrame(uint16_t port, rte_mbuf* m) {
  // IKE is a handful of packets per exchange: one burst call each.
  if (rte_eth_tx_burst(t_.ports[port].ethdev->id(), txQueue_, &m, 1) != 1) {
    rte_pktmbuf_free(m);
    counters_.txFull++;
    return false;
  }
  counters_.txFrames++;
  return true;
}

}  // namespace ipsecgw::dataplane
