// The worker's run-to-completion pipeline over bursts (DESIGN.md):
//   RX -> Ethernet -> ARP/ND/echo to us (local_services)
//      -> IKE to us (UDP 500, 4500 with the non-ESP marker) -> exception ring
//         to the control core, also when it came in IP fragments
//      -> ESP to us: outer fragments reassembled (outer_reassembly.hpp) ->
//         SAD by SPI -> anti-replay -> decrypt -> inbound policy check ->
//         route -> TX
//      -> transit from a protected port: SPD -> PROTECT: TTL, tunnel MTU
//         (ICMP too-big, or IPv4 fragmentation before ESP) -> ESP encap ->
//         route -> TX; BYPASS: route -> TX; DISCARD/none: drop
//      -> transit from an unprotected port: SPD BYPASS only, else drop
// Every drop is counted by reason. ICMP errors (time exceeded, too big) go
// back from the ingress port's address, rate limited per worker
// (WorkerOptions); none about ICMP errors, later fragments or broadcasts.
// Not yet: too-big/fragmentation where plain forwarding (BYPASS, decrypted
// traffic) meets a smaller egress MTU: route() counts mtu-exceeded there.
//
// Concurrency: one Worker per lcore; it owns its TX buffers and counters.
// In this increment it also owns the tables (single-lcore mode).
#pragma once

#include <rte_mbuf.h>

#include <array>
#include <cstdint>
#include <vector>

#include "dataplane/exception_ring.hpp"
#include "dataplane/gateway_tables.hpp"
#include "dataplane/next_hop_cache.hpp"
#include "dataplane/outer_reassembly.hpp"
#include "dataplane/token_bucket.hpp"
#include "esp/crypto_engine.hpp"
#include "net/drop_reason.hpp"
#include "net/flow_key.hpp"
#include "net/icmp_error.hpp"
#include "net/ip_layout.hpp"

namespace ipsecgw::dataplane {

struct WorkerCounters {
  std::array<uint64_t, kDropReasonCount> drops{};
  uint64_t rxPackets = 0;
  uint64_t txPackets = 0;
  uint64_t localReplies = 0;
  uint64_t icmpErrorsSent = 0;
  uint64_t packetsFragmented = 0;  // inner IPv4 packets split before ESP
  uint64_t fragmentsCreated = 0;
  uint64_t packetsReassembled = 0;  // outer ESP packets put back together
};

struct WorkerOptions {
  // ICMP errors a worker may send: a token bucket (token_bucket.hpp).
  uint32_t icmpErrorsPerSecond = 100;
  uint32_t icmpErrorBurst = 20;
};

class Worker {
 public:
  static constexpr uint16_t kBurst = OuterReassembly::kMaxAddsPerCollect;

  Worker(GatewayTables& tables, esp::CryptoEngine& engine, rte_mempool* pool, const WorkerOptions& options = {});
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // One pass over every port's RX queue 0; returns the packets received.
  uint32_t poll(uint64_t nowMs);
  const WorkerCounters& counters() const { return counters_; }
  // Where IKE datagrams to our addresses go (the control core drains it);
  // without one they are dropped as local-unhandled or as bad ESP.
  void setExceptionRing(ExceptionRing* ring) { exceptions_ = ring; }
  // The worker remembers resolved next hops (next_hop_cache.hpp) and forgets
  // them by itself when it handles ARP/ND or the route table is replaced.
  // Whoever changes routes or neighbours in any other way calls this (on
  // the worker's lcore) before the worker's next poll().
  void invalidateNextHops() { nextHops_.invalidate(); }

 private:
  struct TxQueue {
    std::array<rte_mbuf*, 2 * kBurst> pkts;
    uint16_t n = 0;
  };

  void receive(uint16_t port, rte_mbuf** pkts, uint16_t n);
  bool deliverLocal(uint16_t port, rte_mbuf* m, bool v4);  // m at Ethernet
  void replyOrFree(uint16_t port, rte_mbuf* m, bool isReply);  // after a local service ran
  // An outer fragment to us (at IP): the whole ESP packet once complete,
  // else nullptr (held, passed to the control core as IKE, or dropped and
  // counted).
  rte_mbuf* reassemble(rte_mbuf* m, const IpLayout& lay);
  // IKE for the control core (pushed, with `l2` bytes of link header cut)
  // or a NAT keepalive (dropped and counted): true when `m` was taken.
  bool consumeIke(rte_mbuf* m, std::span<const uint8_t> ip, const IpLayout& lay, uint16_t l2);
  // pkts at IP, keys[i] the flow key of pkts[i]; one SPD lookup for all.
  void protect(uint16_t inPort, rte_mbuf** pkts, const FlowKey* keys, uint32_t n);
  // Plaintext from an unprotected port: forwarded where the SPD says BYPASS.
  void bypass(uint16_t inPort, rte_mbuf** pkts, const FlowKey* keys, uint32_t n);
  void unprotect(uint16_t inPort, rte_mbuf** pkts, uint32_t n);
  // Where a forwarded packet came from, for the ICMP errors about it: the
  // port it arrived on, and whether it came out of an SA (then the errors
  // go back into a tunnel, RFC 4301 6.2).
  struct Origin {
    uint16_t inPort;
    bool fromTunnel;
  };
  // Decrements TTL, then routes; too big for the way out: fragmented (IPv4
  // without DF) or refused with ICMP (RFC 1191, RFC 8201).
  void forwardPlain(const Origin& from, rte_mbuf* m);
  // Drops `m` for `why` after sending the ICMP error about it to its source,
  // where allowed and within the rate limit: from `from.inPort`'s address by
  // the routes, or, for a packet that came out of a tunnel, from the address
  // of the port it was heading to, through the SPD into the tunnel.
  void refuseWithIcmp(const Origin& from, rte_mbuf* m, DropReason why, IcmpError kind, uint32_t mtu);
  // m at IP, by its destination; `slot` is where the resolved next hop is
  // remembered (NextHopCache: the SA's slot, or kAnySlot). `from`: a
  // forwarded packet, which a too small MTU fragments or refuses with ICMP;
  // nullptr: one we made (ESP, ICMP), dropped as mtu-exceeded.
  void route(rte_mbuf* m, uint32_t slot = NextHopCache::kAnySlot, const Origin* from = nullptr);
  void tooBig(rte_mbuf* m, uint32_t mtu, const Origin* from);
  // IPv4 `m` split into `frags` (kMaxFragments room), pieces of at most
  // `mtu` bytes; 0 when it cannot be (m dropped and counted).
  uint32_t fragment(rte_mbuf* m, uint32_t mtu, rte_mbuf** frags);
  void transmit(uint16_t port, rte_mbuf* m, const rte_ether_addr& dst);  // m at IP
  void sendFrame(uint16_t port, rte_mbuf* m);                            // m at Ethernet
  void sendReleased(uint16_t port, rte_mbuf** held, size_t n);
  void flush();
  void drop(rte_mbuf* m, DropReason why);
  void count(DropReason why) { counters_.drops[static_cast<size_t>(why)]++; }

  GatewayTables& t_;
  esp::CryptoEngine& engine_;
  rte_mempool* pool_;
  uint64_t nowMs_ = 0;
  std::vector<TxQueue> tx_;
  TokenBucket icmpBudget_;
  OuterReassemblyPtr reassembly_;  // null if its table could not be allocated
  ExceptionRing* exceptions_ = nullptr;  // not owned
  NextHopCache nextHops_;
  const RouteTable* routesSeen_ = nullptr;  // the table nextHops_ was filled from
  // Flow keys of the burst in receive(), parsed once from the IP layout
  // receive() located (members: no per-burst construction).
  std::array<FlowKey, kBurst> outKeys_;
  std::array<FlowKey, kBurst> plainKeys_;
  WorkerCounters counters_;
};

}  // namespace ipsecgw::dataplane
