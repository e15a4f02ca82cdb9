// The control core's end of the exception path (DESIGN.md "Shape"): it
// drains every worker's exception ring and
//  - answers ARP (RFC 826), neighbour discovery (RFC 4861) and echo requests
//    (RFC 792, RFC 4443) to the gateway's addresses, learning neighbours;
//  - holds packets whose next hop is unresolved in the neighbour table's
//    bounded queues, asks for the MAC (at most once a second per address)
//    and sends them when the answer comes;
//  - passes IKE to the IKE service's inbox (ike_io.hpp);
// and transmits through ControlTx. A newly learned or changed neighbour
// is published to the workers (GatewayTables::changed()).
//
// ControlTx: the control core's own TX queue on a port when the port has
// one more TX queue than there are workers; otherwise its frames go to
// worker 0 over an SPSC ring and leave on that worker's queue (a
// net_af_packet port has one queue pair unless its qpairs says more).
//
// Concurrency: control core only. Each exception ring has one producer (its
// worker) and this one consumer; the TX ring has this one producer and
// worker 0 as its consumer.
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/exception_ring.hpp"
#include "dataplane/gateway_tables.hpp"
#include "dataplane/worker.hpp"

struct rte_ring;

namespace ipsecgw::dataplane {

class ControlTx {
 public:
  // queues[i]: the control core's TX queue on port i, or -1 (through worker
  // 0's ring, created here when any port needs it).
  static std::unique_ptr<ControlTx> create(const GatewayTables& t, std::vector<int> queues, std::string& error);
  ~ControlTx();  // frees frames still queued for the worker
  ControlTx(const ControlTx&) = delete;
  ControlTx& operator=(const ControlTx&) = delete;

  // m at Ethernet; false (m freed, counted) if the queue or ring is full.
  bool send(uint16_t port, rte_mbuf* m);
  // m at IP: an Ethernet header to `dst` from the port's MAC, then send().
  bool sendIp(uint16_t port, rte_mbuf* m, const rte_ether_addr& dst);

  // Once no worker runs: frees the frames still waiting for worker 0.
  void discardQueued();
  // For WorkerSetup::controlTx of worker 0; null when no port needs it.
  rte_ring* workerRing() const { return ring_; }
  bool ownQueue(uint16_t port) const { return queues_[port] >= 0; }
  uint64_t sent() const { return sent_; }
  uint64_t full() const { return full_; }

 private:
  ControlTx(const GatewayTables& t, std::vector<int> queues) : t_(t), queues_(std::move(queues)) {}
  const GatewayTables& t_;
  std::vector<int> queues_;
  rte_ring* ring_ = nullptr;
  uint64_t sent_ = 0, full_ = 0;
};

enum class SendResult { Sent, Held, NoNeighbor, NoMbuf, TxFull };

class ControlPath {
 public:
  static constexpr uint32_t kBurst = 32;

  // `ikeInbox`: where IKE goes (null: no IKE, dropped as local-unhandled).
  ControlPath(GatewayTables& t, ControlTx& tx, rte_mempool* pool, ExceptionRing* ikeInbox);

  void addSource(ExceptionRing* fromWorker) { sources_.push_back(fromWorker); }
  // One pass over the exception rings; returns the packets handled.
  uint32_t poll(uint64_t nowMs);

  // m at IP, to leave by `port` towards `nextHop` (IKE, and the packets the
  // workers could not resolve): sent, or held while the neighbour is asked.
  SendResult sendIp(uint16_t port, rte_mbuf* m, const IpAddress& nextHop, uint64_t nowMs);

  // Its own drops and replies, counted like a worker's.
  const WorkerCounters& counters() const { return counters_; }

 private:
  void local(rte_mbuf* m);
  void unresolved(rte_mbuf* m, uint64_t nowMs);
  void drop(rte_mbuf* m, DropReason why);

  GatewayTables& t_;
  ControlTx& tx_;
  rte_mempool* pool_;
  ExceptionRing* ikeInbox_;
  std::vector<ExceptionRing*> sources_;
  WorkerCounters counters_;
};

}  // namespace ipsecgw::dataplane
