#include "control/stats_json.hpp"

namespace ipsecgw::control {

namespace {
nlohmann::json saJson(const esp::SecurityAssociation& sa) {
  return {{"spi", sa.spi()},
          {"transform", std::string(sa.info().name)},
          {"packets", sa.counters().packets},
          {"bytes", sa.counters().bytes},
          {"drops", sa.counters().drops}};
}

nlohmann::json ikeJson(const IkeReport& r) {
  nlohmann::json j;
  if (const auto* io = r.io)
    j["io"] = {{"rx_datagrams", io->rxDatagrams}, {"rx_malformed", io->rxMalformed},
               {"rx_bad_checksum", io->rxBadChecksum}, {"tx_datagrams", io->txDatagrams},
               {"tx_frames", io->txFrames}, {"tx_held", io->txHeld}, {"tx_not_local", io->txNotLocal},
               {"tx_no_route", io->txNoRoute}, {"tx_no_neighbor", io->txNoNeighbor}, {"tx_no_mbuf", io->txNoMbuf},
               {"tx_too_big", io->txTooBig}, {"tx_full", io->txFull}};
  j["exception_ring"] = {{"pushed", r.ringPushed}, {"dropped_full", r.ringFull}};
  if (const auto* s = r.service)
    j["service"] = {{"datagrams_in", s->datagramsIn},       {"datagrams_out", s->datagramsOut},
                    {"ike_sas_up", s->ikeSasUp},            {"ike_sas_down", s->ikeSasDown},
                    {"child_sas_up", s->childSasUp},        {"child_sas_down", s->childSasDown},
                    {"install_failures", s->installFailures}, {"remove_failures", s->removeFailures}};
  for (const auto& e : r.engine) j["engine"][std::string(e.name)] = e.value;
  j["child_sas"] = nlohmann::json::array();
  if (r.retired)
    for (const auto& sa : *r.retired)
      j["child_sas"].push_back({{"connection", sa.connection},
                                {"child", sa.child},
                                {"direction", sa.direction == esp::Direction::Inbound ? "inbound" : "outbound"},
                                {"spi", sa.spi},
                                {"transform", sa.transform},
                                {"packets", sa.counters.packets},
                                {"bytes", sa.counters.bytes},
                                {"drops", sa.counters.drops}});
  return j;
}

}  // namespace

nlohmann::json briefCountersJson(const dataplane::WorkerCounters& c) {
  uint64_t drops = 0;
  for (uint64_t d : c.drops) drops += d;
  return {{"rx_packets", c.rxPackets}, {"tx_packets", c.txPackets}, {"drops", drops},
          {"to_control", c.toControl}, {"from_control", c.fromControl}};
}

nlohmann::json statsJson(const dataplane::GatewayTables& t, const dataplane::WorkerCounters& c,
                         const PoolCounts& pool, const IkeReport* ike) {
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
                 {"packets_reassembled", c.packetsReassembled},
                 {"to_control", c.toControl},
                 {"from_control", c.fromControl}};
  j["mbuf_pool"] = {{"size", pool.size},
                    {"avail_at_start", pool.availAtStart},
                    {"avail_at_stop", pool.availAtStop},
                    {"held_for_neighbors", pool.heldForNeighbors}};
  for (const auto& sa : t.outbound)
    if (sa) j["sas"]["outbound"].push_back(saJson(*sa));
  for (const auto& in : t.inbound)
    if (in.sa) j["sas"]["inbound"].push_back(saJson(*in.sa));
  if (ike) j["ike"] = ikeJson(*ike);
  return j;
}

}  // namespace ipsecgw::control
