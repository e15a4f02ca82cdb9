#include "dataplane/table_sync.hpp"

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <atomic>

namespace ipsecgw::dataplane {

namespace {
std::atomic<uint32_t> gRingNames{0};  // rte_ring names are global to the process
}  // namespace

std::unique_ptr<Quiescence> Quiescence::create(uint32_t readers, std::string& error) {
  if (readers == 0) {
    error = "RCU: at least one reader";
    return nullptr;
  }
  const size_t size = rte_rcu_qsbr_get_memsize(readers);
  auto* v = static_cast<rte_rcu_qsbr*>(rte_zmalloc("ipsecgw_qsbr", size, RTE_CACHE_LINE_SIZE));
  if (!v) {
    error = "RCU: no memory for the QSBR variable";
    return nullptr;
  }
  if (rte_rcu_qsbr_init(v, readers) != 0) {
    rte_free(v);
    error = std::string("rte_rcu_qsbr_init: ") + rte_strerror(rte_errno);
    return nullptr;
  }
  return std::unique_ptr<Quiescence>(new Quiescence(v, readers));
}

Quiescence::~Quiescence() { rte_free(v_); }

uint64_t Quiescence::start() { return rte_rcu_qsbr_start(v_); }

bool Quiescence::passed(uint64_t token) const { return rte_rcu_qsbr_check(v_, token, false) == 1; }

void TableSubscription::online() {
  rte_rcu_qsbr_thread_register(v_, id_);
  rte_rcu_qsbr_thread_online(v_, id_);
}

void TableSubscription::offline() {
  rte_rcu_qsbr_thread_offline(v_, id_);
  rte_rcu_qsbr_thread_unregister(v_, id_);
}

const ForwardingState* TableSubscription::refresh() {
  // Quiescent first, then the ring: a grace period that starts after a
  // state was enqueued ends only with a report whose following dequeue sees
  // that state (table_sync.hpp).
  rte_rcu_qsbr_quiescent(v_, id_);
  void* got[8];
  while (const unsigned n = rte_ring_sc_dequeue_burst(ring_, got, 8, nullptr))
    cur_ = static_cast<const ForwardingState*>(got[n - 1]);
  return cur_;
}

std::unique_ptr<TableSync> TableSync::create(GatewayTables& master, Quiescence& q, std::string& error) {
  std::unique_ptr<TableSync> s(new TableSync(master, q));
  for (uint32_t i = 0; i < q.readers(); ++i) {
    const std::string name = "ipsecgw_tables" + std::to_string(gRingNames.fetch_add(1));
    rte_ring* r = rte_ring_create(name.c_str(), kRingSize, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!r) {
      error = "table ring " + name + ": " + rte_strerror(rte_errno);
      return nullptr;
    }
    s->rings_.push_back(r);
    s->subscriptions_.push_back(std::make_unique<TableSubscription>(r, q.get(), i));
  }
  s->dirty_ = true;
  s->deliver();
  master.publish = [p = s.get()] { p->publish(); };
  master.retireHook = [p = s.get()](RetiredSlot&& r) { p->retire(std::move(r)); };
  return s;
}

TableSync::~TableSync() {
  master_.publish = nullptr;
  master_.retireHook = nullptr;
  for (auto& d : deferred_) release(d);
  Deferred last{0, nullptr, std::move(retiring_)};
  release(last);
  for (rte_ring* r : rings_) rte_ring_free(r);  // holds only pointers to states freed above
}

void TableSync::publish() {
  dirty_ = true;
  if (!deliver()) counters_.deferred++;
}

void TableSync::retire(RetiredSlot&& r) { retiring_.push_back(std::move(r)); }

bool TableSync::deliver() {
  if (!dirty_) return true;
  // The control core is the only producer: room now is room at enqueue.
  for (rte_ring* r : rings_)
    if (rte_ring_free_count(r) == 0) return false;
  auto next = ForwardingState::of(master_, ++version_);
  for (rte_ring* r : rings_) rte_ring_sp_enqueue(r, next.get());
  // The token after the enqueues: its grace period ends with reports made
  // after them.
  Deferred old{q_.start(), std::move(current_), std::move(retiring_)};
  retiring_.clear();
  current_ = std::move(next);
  dirty_ = false;
  counters_.published++;
  deferred_.push_back(std::move(old));
  return true;
}

void TableSync::release(Deferred& d) {
  if (d.state) counters_.statesFreed++;
  d.state.reset();
  for (auto& r : d.slots) {
    r.sa.reset();  // wipes the keys
    (r.direction == esp::Direction::Outbound ? master_.freeOutbound : master_.freeInbound).push_back(r.slot);
    counters_.slotsReclaimed++;
  }
  d.slots.clear();
}

uint32_t TableSync::poll() {
  uint32_t work = 0;
  if (dirty_ && deliver()) work++;
  while (!deferred_.empty() && q_.passed(deferred_.front().token)) {
    release(deferred_.front());
    deferred_.pop_front();
    work++;
  }
  return work;
}

}  // namespace ipsecgw::dataplane
