// ipsecgwd's workers (DESIGN.md "Shape"): one per EAL worker lcore, or, when
// the EAL has only the main lcore, one polled by the control loop itself
// (single-lcore mode, for tests and small machines). Each has its share of
// every port's RX queues (queue q goes to worker q mod N), its own TX queue
// (its index) on every port, its exception ring to the control core and its
// end of the table rings (TableSync). Worker 0 also sends what the control
// core hands it for ports without a control TX queue (ControlTx).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/control_path.hpp"
#include "dataplane/table_sync.hpp"
#include "dataplane/worker.hpp"

namespace ipsecgw {

class Workers {
 public:
  struct Options {
    dataplane::WorkerOptions worker;
    bool ike = false;  // IKE to our addresses goes to the control core
    bool idleBackoff = true;
  };

  // How many workers the EAL's lcores give: the worker lcores, or 1.
  static uint16_t countFromEal();

  // Every worker gets a crypto engine of its own, named `engineName`
  // (crypto::makeEngine): an engine belongs to one thread (an ipsec-mb
  // manager's job queue, OpenSSL's cipher contexts), while the sessions the
  // control core's engine creates may be used by every engine of its kind.
  static std::unique_ptr<Workers> create(const dataplane::GatewayTables& t, dataplane::TableSync& sync,
                                         const dataplane::ControlTx& tx, std::string_view engineName,
                                         rte_mempool* pool, const Options& o, std::string& error);
  ~Workers();  // stops them if running

  // Multi-lcore: each worker starts on its lcore. Single-lcore: online on
  // this lcore, polled by pollInline(). False (`error` set) if an lcore
  // refused its worker.
  bool start(std::string& error);
  // Single-lcore: one pass of the one worker; multi-lcore: 0.
  uint32_t pollInline(uint64_t nowMs);
  // Lets every worker finish its pass and waits for it (flushes its TX).
  void stop();

  bool singleLcore() const { return singleLcore_; }
  size_t size() const { return workers_.size(); }
  const std::vector<dataplane::ExceptionRing*>& exceptionRings() const { return ringPtrs_; }
  std::vector<dataplane::WorkerCounters> counters() const;

 private:
  struct Slot;
  static int run(void* slot);

  std::vector<std::unique_ptr<Slot>> workers_;
  std::vector<dataplane::ExceptionRingPtr> rings_;
  std::vector<dataplane::ExceptionRing*> ringPtrs_;
  bool singleLcore_ = true;
  bool running_ = false;
  std::atomic<bool> stop_{false};
};

}  // namespace ipsecgw
