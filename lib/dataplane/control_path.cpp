#include "dataplane/control_path.hpp"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <cstring>

#include "dataplane/local_services.hpp"
#include "net/ip.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::dataplane {

namespace {
// Frames the control core sends through worker 0: ARP/ND answers, IKE,
// released packets. More than a burst of IKE_AUTH fragments at once.
constexpr unsigned kTxRingSize = 1024;
}  // namespace

std::unique_ptr<ControlTx> ControlTx::create(const GatewayTables& t, std::vector<int> queues, std::string& error) {
  std::unique_ptr<ControlTx> tx(new ControlTx(t, std::move(queues)));
  tx->queues_.resize(t.ports.size(), -1);
  for (int q : tx->queues_) {
    if (q >= 0) continue;
    tx->ring_ = rte_ring_create("ipsecgw_ctl_tx", kTxRingSize, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!tx->ring_) {
      error = std::string("control TX ring: ") + rte_strerror(rte_errno);
      return nullptr;
    }
    break;
  }
  return tx;
}

ControlTx::~ControlTx() {
  discardQueued();
  rte_ring_free(ring_);
}

void ControlTx::discardQueued() {
  if (!ring_) return;
  void* m;
  while (rte_ring_sc_dequeue(ring_, &m) == 0) {
    rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    full_++;
  }
}

bool ControlTx::send(uint16_t port, rte_mbuf* m) {
  bool ok;
  if (queues_[port] >= 0) {
    // A handful of frames per event: one burst call each.
    ok = rte_eth_tx_burst(t_.ports[port].ethdev->id(), static_cast<uint16_t>(queues_[port]), &m, 1) == 1;
  } else {
    m->port = port;
    ok = rte_ring_sp_enqueue(ring_, m) == 0;
  }
  if (!ok) {
    rte_pktmbuf_free(m);
    full_++;
    return false;
  }
  sent_++;
  return true;
}

bool ControlTx::sendIp(uint16_t port, rte_mbuf* m, const rte_ether_addr& dst) {
  const bool v4 = (rte_pktmbuf_mtod(m, const uint8_t*)[0] >> 4) == 4;
  auto* eth = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN));
  if (!eth) {
    rte_pktmbuf_free(m);
    full_++;
    return false;
  }
  std::memcpy(eth, dst.addr_bytes, 6);
  std::memcpy(eth + 6, t_.ports[port].ethdev->mac().addr_bytes, 6);
  storeBe16(eth + 12, v4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
  return send(port, m);
}

ControlPath::ControlPath(GatewayTables& t, ControlTx& tx, rte_mempool* pool, ExceptionRing* ikeInbox)
    : t_(t), tx_(tx), pool_(pool), ikeInbox_(ikeInbox) {}

void ControlPath::drop(rte_mbuf* m, DropReason why) {
  counters_.drops[static_cast<size_t>(why)]++;
  rte_pktmbuf_free(m);
}

uint32_t ControlPath::poll(uint64_t nowMs) {
  uint32_t total = 0;
  const uint64_t neighborsBefore = t_.neighbors.version();
  for (ExceptionRing* ring : sources_) {
    rte_mbuf* pkts[kBurst];
    const uint32_t n = ring->pop(pkts, kBurst);
    total += n;
    for (uint32_t i = 0; i < n; ++i) {
      rte_mbuf* m = pkts[i];
      switch (exceptionKind(m)) {
        case ExceptionKind::Local: local(m); break;
        case ExceptionKind::Unresolved: unresolved(m, nowMs); break;
        case ExceptionKind::Ike:
          if (!ikeInbox_) {
            drop(m, DropReason::LocalUnhandled);
          } else if (!ikeInbox_->push(m)) {
            drop(m, DropReason::ExceptionRingFull);
          }
          break;
        default: drop(m, DropReason::LocalUnhandled); break;
      }
    }
  }
  // Workers learn the MACs with the next state (one per pass at most).
  if (t_.neighbors.version() != neighborsBefore) t_.changed();
  return total;
}

void ControlPath::local(rte_mbuf* m) {
  const uint16_t port = m->port;
  if (port >= t_.ports.size() || m->data_len < RTE_ETHER_HDR_LEN) {
    drop(m, DropReason::Malformed);
    return;
  }
  const uint8_t* eth = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint16_t type = loadBe16(eth + 12);
  rte_mbuf* released[NeighborTable::kMaxHeld];
  size_t nReleased = 0;
  bool reply;
  if (type == RTE_ETHER_TYPE_ARP)
    reply = handleArp(t_, port, m, released, nReleased);
  else if (type == RTE_ETHER_TYPE_IPV6 &&
           isNeighborDiscovery(eth + RTE_ETHER_HDR_LEN, m->data_len - RTE_ETHER_HDR_LEN))
    reply = handleNeighborDiscovery(t_, port, m, released, nReleased);
  else if (type == RTE_ETHER_TYPE_IPV4)
    reply = answerEchoV4(t_.ports[port], m);
  else
    reply = answerEchoV6(t_.ports[port], m);
  if (reply) {
    if (tx_.send(port, m)) counters_.localReplies++;
  } else {
    rte_pktmbuf_free(m);  // learned from, or nothing to answer: not an error
  }
  // What waited for the MAC just learned leaves now.
  for (size_t i = 0; i < nReleased; ++i) {
    const uint8_t* ip = rte_pktmbuf_mtod(released[i], const uint8_t*);
    const IpAddress dst = (ip[0] >> 4) == 4 ? IpAddress::v4(ip + ip::kV4Dst) : IpAddress::v6(ip + ip::kV6Dst);
    const NextHop* hop = t_.routes->lookup(dst);
    const rte_ether_addr* mac = hop ? t_.neighbors.lookup(port, hop->gateway ? *hop->gateway : dst) : nullptr;
    if (mac)
      tx_.sendIp(port, released[i], *mac);
    else
      drop(released[i], DropReason::NoNeighbor);
  }
}

void ControlPath::unresolved(rte_mbuf* m, uint64_t nowMs) {
  const uint8_t* ip = rte_pktmbuf_mtod(m, const uint8_t*);
  const IpAddress dst = (ip[0] >> 4) == 4 ? IpAddress::v4(ip + ip::kV4Dst) : IpAddress::v6(ip + ip::kV6Dst);
  const NextHop* hop = t_.routes->lookup(dst);
  if (!hop) {
    drop(m, DropReason::NoRoute);
    return;
  }
  switch (sendIp(hop->port, m, hop->gateway ? *hop->gateway : dst, nowMs)) {
    case SendResult::NoNeighbor: drop(m, DropReason::NoNeighbor); break;
    case SendResult::TxFull: counters_.drops[static_cast<size_t>(DropReason::TxFull)]++; break;
    default: break;
  }
}

SendResult ControlPath::sendIp(uint16_t port, rte_mbuf* m, const IpAddress& nextHop, uint64_t nowMs) {
  if (const rte_ether_addr* mac = t_.neighbors.lookup(port, nextHop))
    return tx_.sendIp(port, m, *mac) ? SendResult::Sent : SendResult::TxFull;
  if (!t_.neighbors.hold(port, nextHop, m)) return SendResult::NoNeighbor;  // m still the caller's
  if (t_.neighbors.shouldSolicit(port, nextHop, nowMs))
    if (rte_mbuf* s = buildSolicitation(t_.ports[port], nextHop, pool_)) tx_.send(port, s);
  return SendResult::Held;
}

}  // namespace ipsecgw::dataplane
