// The worker's run-to-completion pipeline over bursts (DESIGN.md):
//   RX -> Ethernet -> ARP/ND/echo to us (local_services)
//      -> ESP to us: SAD by SPI -> anti-replay -> decrypt -> inbound policy
//         check -> route -> TX
//      -> transit from a protected port: SPD -> PROTECT: ESP encap -> route
//         -> TX; BYPASS: route -> TX; DISCARD/none: drop
//      -> transit from an unprotected port: SPD BYPASS only, else drop
// Every drop is counted by reason.
//
// Concurrency: one Worker per lcore; it owns its TX buffers and counters.
// In this increment it also owns the tables (single-lcore mode).
#pragma once

#include <rte_mbuf.h>

#include <array>
#include <cstdint>
#include <vector>

#include "dataplane/gateway_tables.hpp"
#include "esp/crypto_engine.hpp"
#include "net/drop_reason.hpp"

namespace ipsecgw::dataplane {

struct WorkerCounters {
  std::array<uint64_t, kDropReasonCount> drops{};
  uint64_t rxPackets = 0;
  uint64_t txPackets = 0;
  uint64_t localReplies = 0;
};

class Worker {
 public:
  static constexpr uint16_t kBurst = 32;

  Worker(GatewayTables& tables, esp::CryptoEngine& engine, rte_mempool* pool);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // One pass over every port's RX queue 0; returns the packets received.
  uint32_t poll(uint64_t nowMs);
  const WorkerCounters& counters() const { return counters_; }

 private:
  struct TxQueue {
    std::array<rte_mbuf*, 2 * kBurst> pkts;
    uint16_t n = 0;
  };

  void receive(uint16_t port, rte_mbuf** pkts, uint16_t n);
  bool deliverLocal(uint16_t port, rte_mbuf* m, bool v4);  // m at Ethernet
  void replyOrFree(uint16_t port, rte_mbuf* m, bool isReply);  // after a local service ran
  void protect(rte_mbuf** pkts, uint32_t n);               // m at IP
  void unprotect(rte_mbuf** pkts, uint32_t n);
  void forwardPlain(rte_mbuf* m);                          // decrements TTL, then routes
  void route(rte_mbuf* m);                                 // m at IP, by its destination
  void transmit(uint16_t port, rte_mbuf* m, const rte_ether_addr& dst);  // m at IP
  void sendFrame(uint16_t port, rte_mbuf* m);                            // m at Ethernet
  void sendReleased(uint16_t port, rte_mbuf** held, size_t n);
  void flush();
  void drop(rte_mbuf* m, DropReason why);

  GatewayTables& t_;
  esp::CryptoEngine& engine_;
  rte_mempool* pool_;
  uint64_t nowMs_ = 0;
  std::vector<TxQueue> tx_;
  WorkerCounters counters_;
};

}  // namespace ipsecgw::dataplane
