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
// The exception path: ARP, neighbour discovery, echo requests to us, IKE,
// and packets whose next hop is not resolved yet go to the control core
// over the worker's exception ring (control_path.hpp), which answers,
// resolves and transmits them itself.
//
// Concurrency: one Worker per lcore, reading the tables the control core
// published to it (ForwardingState through its TableSubscription), adopted
// between bursts; it owns its RX queues, its TX queue on every port, its
// TX buffers and its counters. The counters are written by the worker only
// and read by the control core as statistics (aligned 64-bit words: a read
// is never torn on x86-64, at worst one burst old).
#pragma once

#include <rte_mbuf.h>

#include <array>
#include <cstdint>
#include <vector>

#include "dataplane/exception_ring.hpp"
#include "dataplane/forwarding_state.hpp"
#include "dataplane/next_hop_cache.hpp"
#include "dataplane/outer_reassembly.hpp"
#include "dataplane/table_sync.hpp"
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
  uint64_t toControl = 0;           // handed to the control core (exception ring)
  uint64_t fromControl = 0;         // frames sent for the control core

  WorkerCounters& operator+=(const WorkerCounters& o);
};

struct WorkerOptions {
  // ICMP errors a worker may send: a token bucket (token_bucket.hpp).
  uint32_t icmpErrorsPerSecond = 100;
  uint32_t icmpErrorBurst = 20;
};

struct RxQueue {
  uint16_t port;  // index into the gateway's ports
  uint16_t queue;
};

// Where a worker sits: its queues and its links to the control core.
struct WorkerSetup {
  std::vector<RxQueue> rxQueues;  // polled in this order, each pass
  uint16_t txQueue = 0;           // its own TX queue, the same id on every port
  uint16_t portCount = 0;         // the gateway's ports (fixed while it runs)
  TableSubscription* tables = nullptr;  // not owned
  ExceptionRing* exceptions = nullptr;  // to the control core; not owned
  // Frames the control core sends through this worker, on ports that have
  // no TX queue to spare for the control core (ControlTx); may be null.
  rte_ring* controlTx = nullptr;
  // IKE to our addresses goes to the control core; false (no [connections]):
  // it is not ours to answer and is dropped (local-unhandled).
  bool ike = false;
  WorkerOptions options;
};

class Worker {
 public:
  static constexpr uint16_t kBurst = OuterReassembly::kMaxAddsPerCollect;

  Worker(const WorkerSetup& setup, esp::CryptoEngine& engine, rte_mempool* pool);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // One pass: adopts the newest tables, sends what the control core left
  // for it, then one burst from each RX queue; returns the packets handled.
  uint32_t poll(uint64_t nowMs);
  const WorkerCounters& counters() const { return counters_; }

 private:
  struct TxQueue {
    std::array<rte_mbuf*, 2 * kBurst> pkts;
    uint16_t n = 0;
  };

  void receive(uint16_t port, rte_mbuf** pkts, uint16_t n);
  // To the control core (exception_ring.hpp), or dropped when its ring is full.
  void toControl(rte_mbuf* m, ExceptionKind kind, uint16_t port);
  uint32_t sendForControl();
  // An outer fragment to us (at IP): the whole ESP packet once complete,
  // else nullptr (held, passed to the control core as IKE, or dropped and
  // counted).
  rte_mbuf* reassemble(rte_mbuf* m, const IpLayout& lay);
  // IKE for the control core (pushed, with `l2` bytes of link header cut)
  // or a NAT keepalive (dropped and counted): true when `m` was taken.
  bool consumeIke(rte_mbuf* m, std::span<const uint8_t> ip, const IpLayout& lay, uint16_t l2);
  // pkts at IP, keys[i] the flow key of pkts[i]; one SPD lookup for all.
  void protect(uint16_t inPort, rte_mbuf** pkts, const FlowKey* keys, uint32_t n);
  // pols[i]: the SPD's policy for keys[i] (nullptr: none).
  void lookupPolicies(const FlowKey* keys, uint32_t n, const policy::Policy** pols);
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
  void flush();
  void drop(rte_mbuf* m, DropReason why);
  void count(DropReason why) { counters_.drops[static_cast<size_t>(why)]++; }

  WorkerSetup setup_;
  const ForwardingState* s_ = nullptr;  // the tables of this pass
  esp::CryptoEngine& engine_;
  rte_mempool* pool_;
  uint64_t nowMs_ = 0;
  std::vector<TxQueue> tx_;
  TokenBucket icmpBudget_;
  OuterReassemblyPtr reassembly_;  // null if its table could not be allocated
  // Resolved next hops, valid for one ForwardingState: any change of the
  // tables (a route, a neighbour, an SA in a slot) empties it.
  NextHopCache nextHops_;
  // Flow keys of the burst in receive(), parsed once from the IP layout
  // receive() located (members: no per-burst construction).
  std::array<FlowKey, kBurst> outKeys_;
  std::array<FlowKey, kBurst> plainKeys_;
  WorkerCounters counters_;
};

}  // namespace ipsecgw::dataplane
