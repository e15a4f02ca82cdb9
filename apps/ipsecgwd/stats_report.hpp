// The counters ipsecgwd writes on exit (--stats-file): per port, per SA, and
// drops by reason, as JSON. The CLI issue replaces this with live telemetry.
#pragma once

#include <string>

#include "dataplane/gateway_tables.hpp"
#include "dataplane/worker.hpp"

namespace ipsecgw {
bool writeStatsFile(const std::string& path, const dataplane::GatewayTables& t,
                    const dataplane::WorkerCounters& c);
}  // namespace ipsecgw
