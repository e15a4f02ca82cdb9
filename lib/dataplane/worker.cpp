#include "dataplane/worker.hpp"

#include <rte_ethdev.h>
#include <rte_ring.h>

#include <cstring>

#include "dataplane/ike_datagram.hpp"
#include "dataplane/local_services.hpp"
#include "dataplane/mbuf_packet.hpp"
#include "dataplane/packet_factory.hpp"
#include "esp/esp_inbound.hpp"
#include "net/checksum.hpp"
#include "net/flow_key.hpp"
#include "net/ip.hpp"
#include "net/ip_layout.hpp"
#include "net/tcp_mss.hpp"
#include "policy/inbound_check.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::dataplane {

namespace {

// A packet a router must not fragment: IPv6 (RFC 8200 5) or IPv4 with DF.
bool mustNotFragment(const uint8_t* ip) {
  return (ip[0] >> 4) != 4 || (loadBe16(ip + ip::kV4Frag) & ip::kV4FlagDf);
}

constexpr uint32_t kEth = RTE_ETHER_HDR_LEN;

std::span<const uint8_t> ipBytes(const rte_mbuf* m) {
  return {rte_pktmbuf_mtod(m, const uint8_t*), m->data_len};
}

IpAddress destinationOf(const uint8_t* ip) {
  return (ip[0] >> 4) == 4 ? IpAddress::v4(ip + ip::kV4Dst) : IpAddress::v6(ip + ip::kV6Dst);
}

// The port that owns the destination address of the packet at `ip` (family
// `v4`), or -1: ForwardingState::localPort on the header's bytes, without
// building an IpAddress or a generic compare per packet.
int localPortOf(std::span<const GatewayPort> ports, const uint8_t* ip, bool v4) {
  const uint8_t* dst = ip + (v4 ? ip::kV4Dst : ip::kV6Dst);
  for (size_t i = 0; i < ports.size(); ++i) {
    const auto& own = v4 ? ports[i].ipv4 : ports[i].ipv6;
    if (!own) continue;
    const uint8_t* a = own->address.bytes.data();
    if (v4 ? std::memcmp(a, dst, 4) == 0 : std::memcmp(a, dst, 16) == 0) return static_cast<int>(i);
  }
  return -1;
}

// A router decrements TTL / hop limit (RFC 791, RFC 8200) and must not
// forward a packet whose TTL would reach zero (RFC 1812 5.3.1).
bool ttlWouldExpire(const uint8_t* ip) { return ip[(ip[0] >> 4) == 4 ? ip::kV4Ttl : ip::kV6HopLimit] <= 1; }

// False when the packet must not be forwarded. The IPv4 checksum is patched
// (RFC 1624).
bool decrementTtl(uint8_t* ip) {
  if ((ip[0] >> 4) == 4) {
    if (ip[ip::kV4Ttl] <= 1) return false;
    // TTL is the high byte of the 16-bit word TTL|protocol. The new word is
    // computed, not read back: a 16-bit load over a byte just stored stalls
    // on store forwarding.
    const uint16_t before = loadBe16(ip + ip::kV4Ttl);
    const uint16_t after = static_cast<uint16_t>(before - 0x100);
    storeBe16(ip + ip::kV4Ttl, after);
    storeBe16(ip + ip::kV4Checksum, checksumUpdate16(loadBe16(ip + ip::kV4Checksum), before, after));
    return true;
  }
  if (ip[ip::kV6HopLimit] <= 1) return false;
  ip[ip::kV6HopLimit]--;
  return true;
}

// ICMP / ICMPv6 echo request (RFC 792, RFC 4443): answered by the control core.
bool isEchoRequest(const uint8_t* ip, const IpLayout& lay) {
  if (lay.fragment || lay.totalLen <= lay.headerLen) return false;
  const uint8_t type = ip[lay.headerLen];
  return lay.family == IpFamily::V4 ? lay.upperProtocol == ip::kProtoIcmp && type == 8
                                    : lay.upperProtocol == ip::kProtoIcmpv6 && type == 128;
}

// ESP, or UDP to the NAT-T port (RFC 3948), addressed to us.
bool isEspToUs(const uint8_t* ip, const IpLayout& lay) {
  return lay.upperProtocol == ip::kProtoEsp ||
         (lay.upperProtocol == ip::kProtoUdp && lay.totalLen >= lay.headerLen + ip::kUdpHeader &&
          loadBe16(ip + lay.headerLen + 2) == ip::kNatTPort);
}

// Packets bound for one SA, gathered so the ESP routines see bursts.
struct SaGroups {
  uint32_t sa[Worker::kBurst];
  rte_mbuf* pkts[Worker::kBurst];
  uint32_t n = 0;

  bool full() const { return n == Worker::kBurst; }
  void add(uint32_t saIndex, rte_mbuf* m) {
    sa[n] = saIndex;
    pkts[n++] = m;
  }
  // Calls fn(saIndex, mbufs, count) once per distinct SA, in order of first
  // appearance, with that SA's packets in arrival order.
  template <typename Fn>
  void forEach(Fn&& fn) {
    bool done[Worker::kBurst] = {};
    for (uint32_t i = 0; i < n; ++i) {
      if (done[i]) continue;
      rte_mbuf* run[Worker::kBurst];
      uint32_t k = 0;
      for (uint32_t j = i; j < n; ++j)
        if (!done[j] && sa[j] == sa[i]) {
          run[k++] = pkts[j];
          done[j] = true;
        }
      fn(sa[i], run, k);
    }
    n = 0;
  }
};

}  // namespace

WorkerCounters& WorkerCounters::operator+=(const WorkerCounters& o) {
  for (size_t i = 0; i < drops.size(); ++i) drops[i] += o.drops[i];
  rxPackets += o.rxPackets;
  txPackets += o.txPackets;
  localReplies += o.localReplies;
  icmpErrorsSent += o.icmpErrorsSent;
  packetsFragmented += o.packetsFragmented;
  fragmentsCreated += o.fragmentsCreated;
  packetsReassembled += o.packetsReassembled;
  toControl += o.toControl;
  fromControl += o.fromControl;
  return *this;
}

Worker::Worker(const WorkerSetup& setup, esp::CryptoEngine& engine, rte_mempool* pool)
    : setup_(setup),
      engine_(engine),
      pool_(pool),
      icmpBudget_(setup.options.icmpErrorsPerSecond, setup.options.icmpErrorBurst),
      reassembly_(OuterReassembly::create(static_cast<int>(rte_socket_id()))) {
  // The tables come with the first poll(), on the worker's own lcore.
  tx_.resize(setup_.portCount);
}

Worker::~Worker() {
  if (s_) flush();
}

void Worker::drop(rte_mbuf* m, DropReason why) {
  counters_.drops[static_cast<size_t>(why)]++;
  rte_pktmbuf_free(m);
}

void Worker::toControl(rte_mbuf* m, ExceptionKind kind, uint16_t port) {
  tagException(m, kind, port);
  if (!setup_.exceptions || !setup_.exceptions->push(m)) {
    drop(m, DropReason::ExceptionRingFull);
    return;
  }
  counters_.toControl++;
}

uint32_t Worker::sendForControl() {
  if (!setup_.controlTx) return 0;
  rte_mbuf* frames[kBurst];
  const unsigned n = rte_ring_sc_dequeue_burst(setup_.controlTx, reinterpret_cast<void**>(frames), kBurst, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    if (frames[i]->port >= tx_.size()) {
      drop(frames[i], DropReason::NoRoute);
      continue;
    }
    counters_.fromControl++;
    sendFrame(frames[i]->port, frames[i]);
  }
  return n;
}

uint32_t Worker::poll(uint64_t nowMs) {
  nowMs_ = nowMs;
  if (const ForwardingState* now = setup_.tables->refresh(); now != s_) {
    s_ = now;
    nextHops_.invalidate();
  }
  uint32_t total = sendForControl();
  for (const RxQueue& q : setup_.rxQueues) {
    rte_mbuf* pkts[kBurst];
    uint16_t n = rte_eth_rx_burst(s_->ports[q.port].ethdev->id(), q.queue, pkts, kBurst);
    if (n == 0) continue;
    counters_.rxPackets += n;
    total += n;
    receive(q.port, pkts, n);
    // At most kBurst fragments went in: the death row has room for what
    // they evicted.
    if (reassembly_) counters_.drops[static_cast<size_t>(DropReason::ReassemblyFailed)] += reassembly_->collect(rte_rdtsc());
  }
  flush();
  return total;
}

void Worker::receive(uint16_t port, rte_mbuf** pkts, uint16_t n) {
  const GatewayPort& p = s_->ports[port];
  rte_mbuf* outbound[kBurst];  // keys in outKeys_
  rte_mbuf* inbound[kBurst];
  rte_mbuf* plain[kBurst];  // from an unprotected port, keys in plainKeys_
  uint32_t nOut = 0, nIn = 0, nPlain = 0;

  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (m->nb_segs != 1) {
      drop(m, DropReason::Chained);
      continue;
    }
    if (m->data_len < kEth) {
      drop(m, DropReason::Malformed);
      continue;
    }
    const uint8_t* eth = rte_pktmbuf_mtod(m, const uint8_t*);
    const auto* dstMac = reinterpret_cast<const rte_ether_addr*>(eth);
    const bool linkUnicast = rte_is_same_ether_addr(dstMac, &p.ethdev->mac());
    if (!linkUnicast && !rte_is_multicast_ether_addr(dstMac)) {
      drop(m, DropReason::NotForUs);
      continue;
    }
    const uint16_t type = loadBe16(eth + 12);
    if (type == RTE_ETHER_TYPE_ARP) {
      toControl(m, ExceptionKind::Local, port);  // answered and learned from there (RFC 826)
      continue;
    }
    if (type != RTE_ETHER_TYPE_IPV4 && type != RTE_ETHER_TYPE_IPV6) {
      drop(m, DropReason::UnsupportedProtocol);
      continue;
    }
    const uint8_t* ip = eth + kEth;
    IpLayout lay;
    if (DropReason r = locateUpperLayer({ip, m->data_len - kEth}, lay); r != DropReason::None) {
      drop(m, r);
      continue;
    }
    if (lay.family == IpFamily::V4 && checksumFinish(checksumPartial(ip, lay.headerLen)) != 0) {
      drop(m, DropReason::BadIpChecksum);
      continue;
    }
    if (lay.family == IpFamily::V6 && isNeighborDiscovery(ip, lay.totalLen)) {
      toControl(m, ExceptionKind::Local, port);  // RFC 4861, whatever its destination
      continue;
    }
    if (localPortOf(s_->ports, ip, lay.family == IpFamily::V4) >= 0) {
      if (lay.fragment && (lay.upperProtocol == ip::kProtoEsp || lay.upperProtocol == ip::kProtoUdp)) {
        // RFC 4303 3.4.1: reassemble before ESP processing; fragmented IKE
        // (UDP 500/4500) is put together the same way (reassemble()).
        rte_pktmbuf_adj(m, kEth);
        if (rte_mbuf* whole = reassemble(m, lay)) inbound[nIn++] = whole;
        continue;
      }
      // ESP (protocol 50) is never IKE: only UDP is classified.
      if (lay.upperProtocol == ip::kProtoUdp && consumeIke(m, {ip, m->data_len - kEth}, lay, kEth)) continue;
      if (isEspToUs(ip, lay)) {
        rte_pktmbuf_adj(m, kEth);
        inbound[nIn++] = m;
      } else if (isEchoRequest(ip, lay)) {
        toControl(m, ExceptionKind::Local, port);
      } else {
        drop(m, DropReason::LocalUnhandled);
      }
      continue;
    }
    // RFC 1812 5.3.4: a router does not forward what arrived as a link-layer
    // broadcast or multicast (which also keeps ICMP errors away from them,
    // 4.3.2.7).
    if (!linkUnicast) {
      drop(m, DropReason::LinkBroadcast);
      continue;
    }
    // The flow key from the layout found above: each packet is parsed once.
    const std::span<const uint8_t> ipPacket{ip, m->data_len - kEth};
    if (p.role == PortRole::Protected) {
      if (DropReason r = parseFlowKey(ipPacket, lay, outKeys_[nOut]); r != DropReason::None) {
        drop(m, r);
        continue;
      }
      rte_pktmbuf_adj(m, kEth);
      outbound[nOut++] = m;
      continue;
    }
    // RFC 4301 5.2: plaintext arriving on the unprotected side passes only
    // where the SPD says BYPASS; without a key it matches no policy.
    if (parseFlowKey(ipPacket, lay, plainKeys_[nPlain]) != DropReason::None) {
      drop(m, DropReason::NoPolicy);
      continue;
    }
    rte_pktmbuf_adj(m, kEth);
    plain[nPlain++] = m;
  }
  if (nPlain) bypass(port, plain, plainKeys_.data(), nPlain);
  if (nOut) protect(port, outbound, outKeys_.data(), nOut);
  if (nIn) unprotect(port, inbound, nIn);
}

void Worker::lookupPolicies(const FlowKey* keys, uint32_t n, const policy::Policy** pols) {
  // One classification for the whole burst (rte_acl's vector routines only
  // engage on many keys at once, spd.cpp), and one key per run of packets
  // of the same flow: a bulk flow arrives in runs.
  const FlowKey* distinct[kBurst];
  const policy::Policy* found[kBurst];
  uint8_t which[kBurst];
  uint32_t nd = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (nd == 0 || !keys[i].sameFlow(*distinct[nd - 1])) distinct[nd++] = &keys[i];
    which[i] = static_cast<uint8_t>(nd - 1);
  }
  s_->spd->lookupBurst({distinct, nd}, {found, nd});
  for (uint32_t i = 0; i < n; ++i) pols[i] = found[which[i]];
}

void Worker::bypass(uint16_t inPort, rte_mbuf** pkts, const FlowKey* keys, uint32_t n) {
  const policy::Policy* pols[kBurst];
  lookupPolicies(keys, n, pols);
  for (uint32_t i = 0; i < n; ++i) {
    if (pols[i] && pols[i]->action == policy::PolicyAction::Bypass)
      forwardPlain({inPort, false}, pkts[i]);
    else
      drop(pkts[i], pols[i] ? DropReason::PolicyDiscard : DropReason::NoPolicy);
  }
}

rte_mbuf* Worker::reassemble(rte_mbuf* m, const IpLayout& lay) {
  if (!reassembly_) {
    drop(m, DropReason::ReassemblyFailed);
    return nullptr;
  }
  DropReason why;
  rte_mbuf* whole = reassembly_->add(m, lay, rte_rdtsc(), why);
  if (!whole) {
    if (why != DropReason::None) count(why);  // freed by add(); death-row drops are counted in poll()
    return nullptr;
  }
  IpLayout full;
  if (DropReason r = locateUpperLayer(ipBytes(whole), full); r != DropReason::None || full.fragment) {
    drop(whole, r != DropReason::None ? r : DropReason::ReassemblyFailed);
    return nullptr;
  }
  counters_.packetsReassembled++;
  // A path may fragment IKE as well as ESP (an IKE_AUTH with certificates
  // from a peer without RFC 7383): the whole datagram is classified again.
  if (consumeIke(whole, ipBytes(whole), full, 0)) return nullptr;
  if (!isEspToUs(rte_pktmbuf_mtod(whole, const uint8_t*), full)) {
    drop(whole, DropReason::LocalUnhandled);
    return nullptr;
  }
  return whole;
}

bool Worker::consumeIke(rte_mbuf* m, std::span<const uint8_t> ip, const IpLayout& lay, uint16_t l2) {
  if (!setup_.ike) return false;  // no [connections]: IKE is not ours to answer
  switch (classifyIke(ip, lay)) {  // ike_datagram.hpp
    case IkeRxKind::NatKeepalive: drop(m, DropReason::NatKeepalive); return true;
    case IkeRxKind::Ike:
      rte_pktmbuf_adj(m, l2);
      toControl(m, ExceptionKind::Ike, m->port);
      return true;
    case IkeRxKind::NotIke: return false;
  }
  return false;
}

void Worker::protect(uint16_t inPort, rte_mbuf** pkts, const FlowKey* keys, uint32_t n) {
  const policy::Policy* pols[kBurst];
  lookupPolicies(keys, n, pols);

  SaGroups groups;
  auto encryptGroups = [&] {
    groups.forEach([&](uint32_t saIndex, rte_mbuf** run, uint32_t k) {
      DropReason why[kBurst];
      uint32_t ok = encapsulateMbufs(*s_->outbound[saIndex], engine_, {run, k}, {why, k});
      const uint32_t slot = NextHopCache::saSlot(saIndex);
      for (uint32_t j = 0; j < ok; ++j) route(run[j], slot);
      for (uint32_t j = ok; j < k; ++j) drop(run[j], why[j]);
    });
  };
  auto enqueue = [&](uint32_t saIndex, rte_mbuf* m) {
    if (groups.full()) encryptGroups();
    groups.add(saIndex, m);
  };
  for (uint32_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const policy::Policy* pol = pols[i];
    if (!pol) {
      drop(m, DropReason::NoPolicy);
    } else if (pol->action == policy::PolicyAction::Discard) {
      drop(m, DropReason::PolicyDiscard);
    } else if (pol->action == policy::PolicyAction::Bypass) {
      forwardPlain({inPort, false}, m);
    } else if (pol->saIndex >= s_->outbound.size() || !s_->outbound[pol->saIndex]) {
      drop(m, DropReason::NoSa);
    } else {
      const uint32_t sa = pol->saIndex;
      // The tunnel's MTU for inner packets, decided once per SA.
      const uint16_t innerMtu = s_->outboundInnerMtu[sa];
      uint8_t* ip = rte_pktmbuf_mtod(m, uint8_t*);
      const bool v4 = keys[i].src.isV4();
      const bool tooBig = m->pkt_len > innerMtu;
      if (ttlWouldExpire(ip)) {
        refuseWithIcmp({inPort, false}, m, DropReason::TtlExpired, IcmpError::TimeExceeded, 0);
        continue;
      }
      // RFC 1191 / RFC 8201: DF set or IPv6 -> tell the sender the MTU
      // (quoting the packet as it arrived, before the TTL changes).
      if (tooBig && mustNotFragment(ip)) {
        refuseWithIcmp({inPort, false}, m, DropReason::MtuExceeded, IcmpError::PacketTooBig, innerMtu);
        continue;
      }
      decrementTtl(ip);
      // Only TCP has an MSS; the key knows the protocol, so others skip the call.
      if (keys[i].proto == ip::kProtoTcp)
        clampTcpMss(ip, m->data_len, static_cast<uint16_t>(innerMtu - (v4 ? 40 : 60)));
      if (!tooBig) {
        enqueue(sa, m);
        continue;
      }
      // DF clear: fragment the inner packet; each fragment is encrypted on
      // its own (RFC 4459 3.1), so the outer packets never fragment.
      rte_mbuf* frags[kMaxFragments];
      const uint32_t nFrags = fragment(m, innerMtu, frags);
      for (uint32_t f = 0; f < nFrags; ++f) enqueue(sa, frags[f]);
    }
  }
  encryptGroups();
}

void Worker::refuseWithIcmp(const Origin& from, rte_mbuf* m, DropReason why, IcmpError kind, uint32_t mtu) {
  const bool v4 = (rte_pktmbuf_mtod(m, const uint8_t*)[0] >> 4) == 4;
  // RFC 4301 6.2: the error about a packet that came out of a tunnel goes
  // back through the SPD, so it must come from an address the peer's
  // selectors accept: the port the packet was heading to (the protected
  // side), not the port it arrived on (whose address no policy covers).
  uint16_t sourcePort = from.inPort;
  if (from.fromTunnel)
    if (const NextHop* hop = s_->routes->lookup(destinationOf(rte_pktmbuf_mtod(m, const uint8_t*))))
      sourcePort = hop->port;
  const auto& own = v4 ? s_->ports[sourcePort].ipv4 : s_->ports[sourcePort].ipv6;
  if (!icmpErrorAllowed(ipBytes(m), kind)) {
    count(DropReason::IcmpSuppressed);
  } else if (!own) {
    count(DropReason::IcmpNoAddress);
  } else if (!icmpBudget_.take(nowMs_)) {
    count(DropReason::IcmpRateLimited);
  } else {
    DropReason failed;
    if (rte_mbuf* e = makeIcmpError(m, kind, mtu, own->address, pool_, failed)) {
      counters_.icmpErrorsSent++;
      if (from.fromTunnel) {
        FlowKey key;
        if (DropReason r = parseFlowKey(ipBytes(e), key); r != DropReason::None)
          drop(e, r);
        else
          protect(sourcePort, &e, &key, 1);  // no policy covers it: counted there
      } else {
        route(e);  // like any packet we originate
      }
    } else {
      count(failed);
    }
  }
  drop(m, why);
}

void Worker::unprotect(uint16_t inPort, rte_mbuf** pkts, uint32_t n) {
  SaGroups groups;
  policy::SadKey lastKey;
  uint32_t lastIdx = policy::Sad::kNotFound;
  bool haveLast = false;
  for (uint32_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    uint32_t spi;
    if (DropReason r = esp::peekEspSpi(ipBytes(m), spi); r != DropReason::None) {
      drop(m, r);
      continue;
    }
    // Packets of one SA come in runs: the SAD is asked once per run.
    const policy::SadKey key = policy::SadKey::make(spi, destinationOf(rte_pktmbuf_mtod(m, uint8_t*)));
    if (!haveLast || std::memcmp(&key, &lastKey, sizeof key) != 0) {
      lastKey = key;
      lastIdx = s_->sad->lookup(key);
      haveLast = true;
    }
    const uint32_t idx = lastIdx;
    // An empty slot: the SA left (its SAD entry went first) or was just
    // added and its state has not reached this worker yet.
    if (idx == policy::Sad::kNotFound || idx >= s_->inbound.size() || !s_->inbound[idx].sa) {
      drop(m, DropReason::UnknownSpi);
      continue;
    }
    groups.add(idx, m);
  }
  groups.forEach([&](uint32_t saIndex, rte_mbuf** run, uint32_t k) {
    const InboundView& in = s_->inbound[saIndex];
    DropReason why[kBurst];
    uint32_t ok = decapsulateMbufs(*in.sa, engine_, {run, k}, {why, k});
    for (uint32_t j = 0; j < ok; ++j) {
      DropReason r = policy::checkInbound(in.selectors, ipBytes(run[j]));
      if (r != DropReason::None)
        drop(run[j], r);
      else
        forwardPlain({inPort, true}, run[j]);
    }
    for (uint32_t j = ok; j < k; ++j) drop(run[j], why[j]);
  });
}

void Worker::forwardPlain(const Origin& from, rte_mbuf* m) {
  if (!decrementTtl(rte_pktmbuf_mtod(m, uint8_t*))) {
    refuseWithIcmp(from, m, DropReason::TtlExpired, IcmpError::TimeExceeded, 0);
    return;
  }
  route(m, NextHopCache::kAnySlot, &from);
}

void Worker::tooBig(rte_mbuf* m, uint32_t mtu, const Origin* from) {
  if (!from) {
    drop(m, DropReason::MtuExceeded);
    return;
  }
  // RFC 1191 / RFC 8201: DF set or IPv6 -> the sender learns the MTU. The
  // quoted packet carries the already decremented TTL; senders match the
  // error by addresses and ports (RFC 4443 2.4, RFC 1191 4).
  if (mustNotFragment(rte_pktmbuf_mtod(m, const uint8_t*))) {
    refuseWithIcmp(*from, m, DropReason::MtuExceeded, IcmpError::PacketTooBig, mtu);
    return;
  }
  // RFC 791 / RFC 1812 5.2.6: DF clear -> fragments that fit the way out.
  rte_mbuf* frags[kMaxFragments];
  const uint32_t nFrags = fragment(m, mtu, frags);
  for (uint32_t f = 0; f < nFrags; ++f) route(frags[f]);
}

uint32_t Worker::fragment(rte_mbuf* m, uint32_t mtu, rte_mbuf** frags) {
  DropReason why;
  const uint32_t n = fragmentIpv4(m, mtu, pool_, {frags, kMaxFragments}, why);
  if (n == 0) {
    drop(m, why);
    return 0;
  }
  counters_.packetsFragmented++;
  counters_.fragmentsCreated += n;
  return n;
}

void Worker::route(rte_mbuf* m, uint32_t slot, const Origin* from) {
  const uint8_t* ip = rte_pktmbuf_mtod(m, const uint8_t*);
  if (const ResolvedHop* h = nextHops_.find(slot, ip)) {
    if (m->pkt_len > h->mtu) {
      tooBig(m, h->mtu, from);
      return;
    }
    transmit(h->port, m, h->mac);
    return;
  }
  const IpAddress dst = destinationOf(ip);
  const NextHop* hop = s_->routes->lookup(dst);
  if (!hop) {
    drop(m, DropReason::NoRoute);
    return;
  }
  const GatewayPort& out = s_->ports[hop->port];
  if (m->pkt_len > out.mtu) {
    tooBig(m, out.mtu, from);
    return;
  }
  const IpAddress nextHop = hop->gateway ? *hop->gateway : dst;
  if (const rte_ether_addr* mac = s_->neighbors.lookup(hop->port, nextHop)) {
    nextHops_.store(slot, ip, ResolvedHop{hop->port, out.mtu, *mac});
    transmit(hop->port, m, *mac);
    return;
  }
  // The control core holds it while it asks (ARP, RFC 4861 NS) and sends
  // it once the neighbour answers; the workers learn the MAC with the next
  // published tables.
  toControl(m, ExceptionKind::Unresolved, hop->port);
}

void Worker::transmit(uint16_t port, rte_mbuf* m, const rte_ether_addr& dst) {
  const bool v4 = (rte_pktmbuf_mtod(m, const uint8_t*)[0] >> 4) == 4;
  auto* eth = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, kEth));
  if (!eth) {
    drop(m, DropReason::NoHeadroom);
    return;
  }
  std::memcpy(eth, dst.addr_bytes, 6);
  std::memcpy(eth + 6, s_->ports[port].ethdev->mac().addr_bytes, 6);
  storeBe16(eth + 12, v4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
  sendFrame(port, m);
}

void Worker::sendFrame(uint16_t port, rte_mbuf* m) {
  TxQueue& q = tx_[port];
  if (q.n == q.pkts.size()) flush();
  q.pkts[q.n++] = m;
}

void Worker::flush() {
  for (uint16_t p = 0; p < tx_.size(); ++p) {
    TxQueue& q = tx_[p];
    if (q.n == 0) continue;
    uint16_t sent = rte_eth_tx_burst(s_->ports[p].ethdev->id(), setup_.txQueue, q.pkts.data(), q.n);
    counters_.txPackets += sent;
    for (uint16_t i = sent; i < q.n; ++i) drop(q.pkts[i], DropReason::TxFull);
    q.n = 0;
  }
}

}  // namespace ipsecgw::dataplane
