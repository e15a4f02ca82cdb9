// The counters ipsecgwd writes on exit (--stats-file): per port, per SA, and
// drops by reason, as JSON. The CLI issue replaces this with live telemetry.
#pragma once

#include <string>

#include "dataplane/gateway_tables.hpp"
#include "dataplane/ike_service.hpp"
#include "dataplane/worker.hpp"

namespace ipsecgw {

// The mbuf pool's free count with the ports started, before any traffic, and
// at stop once the worker flushed its TX buffers (rte_mempool_avail_count,
// per-lcore caches included). Equal unless mbufs leaked or still wait for a
// neighbour (heldForNeighbors) or sit in a driver's RX/TX ring (net_af_packet
// copies into fresh mbufs on RX and frees on TX: it holds none).
struct PoolCounts {
  uint32_t size = 0;
  uint32_t availAtStart = 0;
  uint32_t availAtStop = 0;
  uint32_t heldForNeighbors = 0;
};

// What the IKE side adds when the configuration has connections: its I/O and
// service counters, the engine's counters by reason, and the counters of
// every CHILD_SA's SAs that IKE removed (at the latest at stop).
struct IkeReport {
  const dataplane::IkeIoCounters* io = nullptr;
  uint64_t ringPushed = 0, ringFull = 0;
  const dataplane::IkeServiceCounters* service = nullptr;
  std::vector<ike::EngineCounterValue> engine;
  const std::vector<dataplane::RetiredSa>* retired = nullptr;
};

// `ike` may be nullptr (no IKE connections).
bool writeStatsFile(const std::string& path, const dataplane::GatewayTables& t,
                    const dataplane::WorkerCounters& c, const PoolCounts& pool, const IkeReport* ike = nullptr);
}  // namespace ipsecgw
