#include "workers.hpp"

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "crypto/engine_factory.hpp"
#include "idle_backoff.hpp"
#include "util/log.hpp"

namespace ipsecgw {

namespace {
// Per worker: IKE is a few datagrams per exchange, ARP/ND and echo fewer;
// a flood beyond this is shed before it reaches the control core (counted).
constexpr uint32_t kExceptionRingSize = 1024;

uint64_t nowMs() { return rte_get_tsc_cycles() * 1000 / rte_get_tsc_hz(); }
}  // namespace

struct Workers::Slot {
  esp::CryptoEnginePtr engine;  // this worker's alone; outlives `worker`
  unsigned lcore = 0;
  dataplane::TableSubscription* tables = nullptr;
  std::unique_ptr<dataplane::Worker> worker;
  std::atomic<bool>* stop = nullptr;
  bool idleBackoff = true;
};

uint16_t Workers::countFromEal() {
  const unsigned n = rte_lcore_count();
  return static_cast<uint16_t>(n > 1 ? n - 1 : 1);
}

std::unique_ptr<Workers> Workers::create(const dataplane::GatewayTables& t, dataplane::TableSync& sync,
                                         const dataplane::ControlTx& tx, std::string_view engineName,
                                         rte_mempool* pool, const Options& o, std::string& error) {
  std::unique_ptr<Workers> w(new Workers());
  std::vector<unsigned> lcores;
  unsigned lcore;
  RTE_LCORE_FOREACH_WORKER(lcore) lcores.push_back(lcore);
  w->singleLcore_ = lcores.empty();
  const uint16_t n = countFromEal();
  for (uint16_t i = 0; i < n; ++i) {
    auto ring = dataplane::ExceptionRing::create("ipsecgw_exc" + std::to_string(i), kExceptionRingSize, error);
    if (!ring) return nullptr;
    dataplane::WorkerSetup setup;
    // RX queue q of every port goes to worker q mod n: with RSS (or the
    // kernel's fanout for net_af_packet) each flow stays on one worker.
    for (uint16_t p = 0; p < t.ports.size(); ++p)
      for (uint16_t q = i; q < t.ports[p].ethdev->rxQueues(); q = static_cast<uint16_t>(q + n))
        setup.rxQueues.push_back({p, q});
    setup.txQueue = i;
    setup.portCount = static_cast<uint16_t>(t.ports.size());
    setup.tables = &sync.subscription(i);
    setup.exceptions = ring.get();
    setup.controlTx = i == 0 ? tx.workerRing() : nullptr;
    setup.ike = o.ike;
    setup.options = o.worker;
    std::string queues;
    for (const auto& q : setup.rxQueues) queues += fmt::format(" {}/{}", t.ports[q.port].name, q.queue);
    log::info(log::Subsystem::Dp, "worker {} on lcore {}: RX queues{}, TX queue {}{}", i,
              w->singleLcore_ ? rte_get_main_lcore() : lcores[i], queues.empty() ? " none" : queues, i,
              setup.controlTx ? ", sends for the control core" : "");
    auto slot = std::make_unique<Slot>();
    slot->engine = crypto::makeEngine(engineName);
    if (!slot->engine) {
      error = "crypto engine " + std::string(engineName) + " for worker " + std::to_string(i) + " is not available";
      return nullptr;
    }
    slot->lcore = w->singleLcore_ ? rte_get_main_lcore() : lcores[i];
    slot->tables = setup.tables;
    slot->worker = std::make_unique<dataplane::Worker>(setup, *slot->engine, pool);
    slot->stop = &w->stop_;
    slot->idleBackoff = o.idleBackoff;
    w->ringPtrs_.push_back(ring.get());
    w->rings_.push_back(std::move(ring));
    w->workers_.push_back(std::move(slot));
  }
  return w;
}

Workers::~Workers() {
  stop();
  workers_.clear();  // before the rings they push to
}

int Workers::run(void* arg) {
  auto* s = static_cast<Slot*>(arg);
  s->tables->online();
  IdleBackoff backoff(s->idleBackoff);
  while (!s->stop->load(std::memory_order_relaxed)) backoff.after(s->worker->poll(nowMs()));
  s->tables->offline();
  return 0;
}

bool Workers::start(std::string& error) {
  if (running_) return true;
  running_ = true;
  stop_ = false;
  if (singleLcore_) {
    workers_[0]->tables->online();
    return true;
  }
  for (auto& s : workers_)
    if (int rc = rte_eal_remote_launch(&Workers::run, s.get(), s->lcore); rc != 0) {
      error = "cannot start the worker on lcore " + std::to_string(s->lcore) + " (" + std::to_string(rc) + ")";
      return false;  // the caller stops what did start
    }
  return true;
}

uint32_t Workers::pollInline(uint64_t now) { return singleLcore_ && running_ ? workers_[0]->worker->poll(now) : 0; }

void Workers::stop() {
  if (!running_) return;
  running_ = false;
  stop_ = true;
  if (singleLcore_) {
    workers_[0]->tables->offline();
    return;
  }
  for (auto& s : workers_) rte_eal_wait_lcore(s->lcore);
}

std::vector<dataplane::WorkerCounters> Workers::counters() const {
  std::vector<dataplane::WorkerCounters> c;
  for (const auto& s : workers_) c.push_back(s->worker->counters());
  return c;
}

}  // namespace ipsecgw
