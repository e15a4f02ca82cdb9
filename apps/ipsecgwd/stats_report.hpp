// The counters ipsecgwd writes on exit (--stats-file): per port, per SA, and
// drops by reason, as JSON. The same JSON is live through the control
// socket's `stats` command; both come from lib/control/stats_json.hpp.
#pragma once

#include <string>

#include "control/stats_json.hpp"

namespace ipsecgw {

using control::IkeReport;
using control::PoolCounts;

// `ike` may be nullptr (no IKE connections).
bool writeStatsFile(const std::string& path, const dataplane::GatewayTables& t,
                    const dataplane::WorkerCounters& c, const PoolCounts& pool, const IkeReport* ike = nullptr);
}  // namespace ipsecgw
