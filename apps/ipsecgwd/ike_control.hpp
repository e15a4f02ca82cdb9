// ipsecgwd's IKE side, present when the configuration has [connections]:
// the engine (lib/ike/engine) and what connects it to the data plane — the
// IKE inbox that ControlPath fills from the workers' exception rings, IKE
// I/O on the ports, the CHILD_SA table and the control-loop service
// (lib/dataplane/ike_*). main() polls it in the control loop.
#pragma once

#include <rte_mempool.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/gateway_config.hpp"
#include "dataplane/child_sa_table.hpp"
#include "dataplane/exception_ring.hpp"
#include "dataplane/ike_io.hpp"
#include "dataplane/ike_service.hpp"
#include "stats_report.hpp"

namespace ipsecgw {

class IkeControl {
 public:
  // Takes the connections (and their PSKs) out of `config`; nullptr when
  // there are none. On failure returns nullptr with `error` set.
  static std::unique_ptr<IkeControl> create(config::GatewayConfig& config, std::string& error);
  // Needs the live tables and the control core's path to the ports.
  void attach(dataplane::GatewayTables& tables, esp::CryptoEngine& engine, rte_mempool* pool,
              dataplane::ControlPath& out);

  // Where ControlPath puts the IKE datagrams the workers passed on.
  dataplane::ExceptionRing* inbox() { return ring_.get(); }
  void start(uint64_t nowMs) { service_->start(startList_, nowMs); }
  uint32_t poll(uint64_t nowMs) { return service_->poll(nowMs); }
  void terminateAll(uint64_t nowMs) { service_->terminateAll(connections_, nowMs); }
  bool anyIkeSa() const { return service_->anyIkeSa(); }
  // Removes what is still installed (its counters join the retired ones).
  void removeAllChildSas() { childSas_->removeAll(); }
  IkeReport report() const;
  // For the control socket's list-sas / initiate / terminate. Actions taken
  // through it reach the data plane through the same service loop.
  ike::Engine& engine() { return *engine_; }
  // Every engine event, before the data plane applies it (monitor).
  void setObserver(dataplane::IkeService::Observer o) { service_->setObserver(std::move(o)); }

  // reload: makes the engine's connections those of `next` (the file just
  // read). A connection equal to the running one (control/config_diff.hpp)
  // is not touched, its SAs keep running; a changed one is deleted and
  // brought up again with the new settings, a removed one deleted, an added
  // one added; changed and added ones start their start_action = "start"
  // children. Returns {"added":[...],"changed":[...],"removed":[...],
  // "unchanged":[...]} (names).
  nlohmann::json applyConnections(std::vector<config::ConnectionConfig>&& next, uint64_t nowMs);

 private:
  IkeControl() = default;

  dataplane::ExceptionRingPtr ring_;
  ike::EnginePtr engine_;
  std::unique_ptr<dataplane::IkeIo> io_;
  std::unique_ptr<dataplane::ChildSaTable> childSas_;
  std::unique_ptr<dataplane::IkeService> service_;
  std::vector<dataplane::ChildToStart> startList_;
  std::vector<std::string> connections_;
};

}  // namespace ipsecgw
