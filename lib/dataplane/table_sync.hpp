// How table changes reach the workers (DESIGN.md "Shape"): the control core
// changes its master tables (gateway_tables.hpp), builds an immutable
// ForwardingState from them and enqueues a pointer to it on one SPSC ring
// per worker. A worker, between bursts, reports a quiescent state and then
// takes the newest state from its ring. What the old state referenced and
// the new one does not (the old state itself, SAs removed from their slots,
// a replaced SPD or route table) is freed by the control core once every
// worker reported quiescent after the new state was enqueued (rte_rcu_qsbr
// grace period): that report comes before the worker's next dequeue, which
// is bound to find the new state, so no worker can still hold the old one.
//
// Workers never wait and never allocate here. The control core never waits
// either: a ring with no room (a worker that has not polled for kRingSize
// publications) leaves the change pending, and poll() retries it.
//
// Single-lcore mode is the same with one reader on the control core's own
// lcore: its quiescent report comes from the worker's poll between the
// control loop's passes.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/forwarding_state.hpp"

struct rte_ring;
struct rte_rcu_qsbr;

namespace ipsecgw::dataplane {

// One QSBR variable for all readers of the tables (the workers); also given
// to the SAD's rte_hash, whose removed slots it reclaims.
class Quiescence {
 public:
  static std::unique_ptr<Quiescence> create(uint32_t readers, std::string& error);
  ~Quiescence();
  Quiescence(const Quiescence&) = delete;
  Quiescence& operator=(const Quiescence&) = delete;

  rte_rcu_qsbr* get() const { return v_; }
  uint32_t readers() const { return readers_; }
  // Control core: a token for "now"; passed(token) once every online reader
  // reported quiescent after this call. Never blocks.
  uint64_t start();
  bool passed(uint64_t token) const;

 private:
  Quiescence(rte_rcu_qsbr* v, uint32_t readers) : v_(v), readers_(readers) {}
  rte_rcu_qsbr* v_;
  uint32_t readers_;
};

// A worker's end: its ring and its reader id.
class TableSubscription {
 public:
  TableSubscription(rte_ring* ring, rte_rcu_qsbr* v, uint32_t id) : ring_(ring), v_(v), id_(id) {}
  // On the worker's lcore, before its first refresh() and after its last.
  void online();
  void offline();
  // Between bursts: reports quiescent (nothing older than what refresh()
  // returns now is referenced any more), then adopts the newest state
  // published. Never null once the TableSync published its first state.
  const ForwardingState* refresh();
  const ForwardingState* current() const { return cur_; }

 private:
  rte_ring* ring_;
  rte_rcu_qsbr* v_;
  uint32_t id_;
  const ForwardingState* cur_ = nullptr;
};

struct TableSyncCounters {
  uint64_t published = 0;     // states enqueued to every worker
  uint64_t deferred = 0;      // publications that waited for ring room
  uint64_t statesFreed = 0;
  uint64_t slotsReclaimed = 0;  // retired SAs destroyed, their slots free again
  uint64_t waitingForGrace = 0;  // old states not yet freed (a gauge)
};

class TableSync {
 public:
  static constexpr uint32_t kRingSize = 64;

  // Hooks itself into `master` (publish, retire) and publishes the first
  // state. `q` has one reader per worker; worker i uses subscription(i).
  static std::unique_ptr<TableSync> create(GatewayTables& master, Quiescence& q, std::string& error);
  // Only once no worker runs: frees every state and retired SA, unhooks.
  ~TableSync();
  TableSync(const TableSync&) = delete;
  TableSync& operator=(const TableSync&) = delete;

  TableSubscription& subscription(uint32_t worker) { return *subscriptions_[worker]; }

  // Control core. publish(): the master changed, every worker gets a new
  // state (now, or from poll() when a ring had no room). retire(): `r`
  // leaves with the next publication and is freed a grace period after it.
  void publish();
  void retire(RetiredSlot&& r);
  // Retries a pending publication and frees what every worker passed.
  // Returns the number of things done (0: idle).
  uint32_t poll();

  uint64_t version() const { return version_; }
  size_t waitingForGrace() const { return deferred_.size(); }
  TableSyncCounters counters() const {
    TableSyncCounters c = counters_;
    c.waitingForGrace = deferred_.size();
    return c;
  }

 private:
  struct Deferred {
    uint64_t token;
    std::unique_ptr<ForwardingState> state;
    std::vector<RetiredSlot> slots;
  };

  TableSync(GatewayTables& master, Quiescence& q) : master_(master), q_(q) {}
  bool deliver();
  void release(Deferred& d);

  GatewayTables& master_;
  Quiescence& q_;
  std::vector<rte_ring*> rings_;
  std::vector<std::unique_ptr<TableSubscription>> subscriptions_;
  std::unique_ptr<ForwardingState> current_;  // the newest state every ring has received
  bool dirty_ = false;                        // the master changed since current_
  std::vector<RetiredSlot> retiring_;         // leave with the next delivery
  std::deque<Deferred> deferred_;             // oldest first
  uint64_t version_ = 0;
  TableSyncCounters counters_;
};

}  // namespace ipsecgw::dataplane
