#include "dataplane/ike_io.hpp"

#include <rte_ethdev.h>

#include <algorithm>
#include <cstring>

#include "dataplane/ike_datagram.hpp"
#include "dataplane/packet_factory.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::dataplane {

IkeIo::IkeIo(GatewayTables& tables, ExceptionRing& inbox, rte_mempool* pool, ControlPath& out)
    : t_(tables), ring_(inbox), pool_(pool), out_(out) {}

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
  switch (out_.sendIp(port, m, nextHop, nowMs)) {
    case SendResult::Sent: counters_.txFrames++; break;
    case SendResult::Held: counters_.txHeld++; break;
    case SendResult::TxFull: counters_.txFull++; break;
    case SendResult::NoMbuf: counters_.txNoMbuf++; break;
    case SendResult::NoNeighbor:
      rte_pktmbuf_free(m);
      counters_.txNoNeighbor++;
      break;
  }
}

}  // namespace ipsecgw::dataplane
