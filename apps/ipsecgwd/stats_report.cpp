#include "stats_report.hpp"

#include <fstream>

namespace ipsecgw {

bool writeStatsFile(const std::string& path, const dataplane::GatewayTables& t,
                    const dataplane::WorkerCounters& c, const PoolCounts& pool, const IkeReport* ike) {
  std::ofstream f(path);
  f << control::statsJson(t, c, pool, ike).dump(2) << "\n";
  return static_cast<bool>(f);
}

}  // namespace ipsecgw
