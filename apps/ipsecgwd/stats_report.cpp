#include "stats_report.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

namespace ipsecgw {

namespace {
nlohmann::json saJson(const esp::SecurityAssociation& sa) {
  return {{"spi", sa.spi()},
          {"transform", std::string(sa.info().name)},
          {"packets", sa.counters().packets},
          {"bytes", sa.counters().bytes},
          {"drops", sa.counters().drops}};
}
}  // namespace

bool writeStatsFile(const std::string& path, const dataplane::GatewayTables& t,
                    const dataplane::WorkerCounters& c, const PoolCounts& pool) {
  nlohmann::json j;
  for (const auto& p : t.ports) {
    port::PortStats s{};
    p.ethdev->stats(s);
    j["ports"][p.name] = {{"rx_packets", s.rxPackets}, {"tx_packets", s.txPackets}, {"rx_missed", s.rxMissed},
                          {"rx_errors", s.rxErrors}, {"tx_errors", s.txErrors}};
  }
  for (size_t r = 1; r < kDropReasonCount; ++r)
    j["drops"][std::string(dropReasonName(static_cast<DropReason>(r)))] = c.drops[r];
  j["worker"] = {{"rx_packets", c.rxPackets},
                 {"tx_packets", c.txPackets},
                 {"local_replies", c.localReplies},
                 {"icmp_errors_sent", c.icmpErrorsSent},
                 {"packets_fragmented", c.packetsFragmented},
                 {"fragments_created", c.fragmentsCreated},
                 {"packets_reassembled", c.packetsReassembled}};
  j["mbuf_pool"] = {{"size", pool.size},
                    {"avail_at_start", pool.availAtStart},
                    {"avail_at_stop", pool.availAtStop},
                    {"held_for_neighbors", pool.heldForNeighbors}};
  for (const auto& sa : t.outbound)
    if (sa) j["sas"]["outbound"].push_back(saJson(*sa));
  for (const auto& in : t.inbound) j["sas"]["inbound"].push_back(saJson(*in.sa));
  std::ofstream f(path);
  f << j.dump(2) << "\n";
  return static_cast<bool>(f);
}

}  // namespace ipsecgw
