// The gateway's counters as JSON: per port, per SA, the worker's drops by
// reason, the mbuf pool and the IKE side. One builder for both readers: the
// stats file ipsecgwd writes at stop (apps/ipsecgwd/stats_report.hpp) and the
// live `stats` command of the control socket. Field names are documented in
// apps/ipsecgwctl/README.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "dataplane/child_sa_table.hpp"
#include "dataplane/gateway_tables.hpp"
#include "dataplane/ike_io.hpp"
#include "dataplane/ike_service.hpp"
#include "dataplane/worker.hpp"
#include "ike/engine/ike_engine.hpp"

namespace ipsecgw::control {

// The mbuf pool's free count with the ports started, before any traffic, and
// at stop once the worker flushed its TX buffers (rte_mempool_avail_count,
// per-lcore caches included). Equal unless mbufs leaked or still wait for a
// neighbour (heldForNeighbors) or sit in a driver's RX/TX ring (net_af_packet
// copies into fresh mbufs on RX and frees on TX: it holds none). The live
// view puts the current free count in availAtStop.
struct PoolCounts {
  uint32_t size = 0;
  uint32_t availAtStart = 0;
  uint32_t availAtStop = 0;
  uint32_t heldForNeighbors = 0;
};

// What the IKE side adds when the configuration has connections: its I/O and
// service counters, the engine's counters by reason, and the counters of
// every CHILD_SA's SAs that IKE removed.
struct IkeReport {
  const dataplane::IkeIoCounters* io = nullptr;
  uint64_t ringPushed = 0, ringFull = 0;
  const dataplane::IkeServiceCounters* service = nullptr;
  std::vector<ike::EngineCounterValue> engine;
  const std::vector<dataplane::RetiredSa>* retired = nullptr;
};

// Ports' ethdev counters, SA counters, drops by reason, worker and pool
// counters; `ike` may be nullptr (no IKE connections).
// One worker's (or the control core's) counters in brief: packets in and
// out, drops of every reason together, exception-path traffic.
nlohmann::json briefCountersJson(const dataplane::WorkerCounters& c);

nlohmann::json statsJson(const dataplane::GatewayTables& t, const dataplane::WorkerCounters& c,
                         const PoolCounts& pool, const IkeReport* ike);

}  // namespace ipsecgw::control
