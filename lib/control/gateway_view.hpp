// What the control commands read and act on: the live gateway tables, the
// worker's counters, the IKE engine, and a copy of the configuration's
// descriptive parts (names, routes, connections) taken before the tables
// and the engine consumed the configuration. Never a key or a PSK: the
// snapshot copies field by field and leaves secrets behind.
//
// Concurrency: control core only; pointers outlive the server.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/gateway_config.hpp"
#include "control/stats_json.hpp"
#include "dataplane/gateway_tables.hpp"
#include "dataplane/table_sync.hpp"
#include "dataplane/worker.hpp"
#include "esp/crypto_engine.hpp"
#include "ike/engine/ike_engine.hpp"
#include "util/expected.hpp"

namespace ipsecgw::control {

struct ChildSummary {
  std::string name;
  std::vector<config::TrafficSelectorConfig> localTs, remoteTs;
  std::vector<std::string> espProposals;
  esp::Mode mode = esp::Mode::Tunnel;
  config::StartAction startAction = config::StartAction::None;
  uint32_t rekeyTimeS = 0;
  uint32_t replayWindow = 0;
};

struct ConnectionSummary {
  std::string name;
  IpAddress localAddress, remoteAddress;
  config::IdentityConfig localId, remoteId;
  config::AuthMethod auth = config::AuthMethod::Psk;
  std::vector<std::string> ikeProposals;
  bool forceEncap = false;
  uint32_t dpdDelayS = 0;
  config::DpdAction dpdAction = config::DpdAction::Clear;
  uint32_t rekeyTimeS = 0;
  uint32_t keyingTries = 0;
  std::vector<ChildSummary> children;
};

struct PolicyName {
  uint32_t id = 0;
  std::string name;
  esp::Direction direction = esp::Direction::Outbound;
  std::string saName;
};

struct ConfigSnapshot {
  std::vector<config::RouteConfig> routes;
  // Manually keyed SAs in table order: the builder appends them per
  // direction in file order, before any IKE CHILD_SA.
  std::vector<std::string> outboundSaNames, inboundSaNames;
  std::vector<PolicyName> policies;
  std::vector<ConnectionSummary> connections;
};

ConfigSnapshot snapshotConfig(const config::GatewayConfig& config);

// The data path's counters: each worker's, and the control core's own for
// the exception path (ARP/ND/echo replies, held packets it had to drop).
struct DataPathCounters {
  std::vector<dataplane::WorkerCounters> workers;
  dataplane::WorkerCounters control;
  dataplane::WorkerCounters total() const {
    dataplane::WorkerCounters t = control;
    for (const auto& w : workers) t += w;
    return t;
  }
};

struct GatewayView {
  uint64_t startedMs = 0;  // on the nowMs clock poll() is given
  unsigned lcores = 1;
  std::string workerMode = "single-lcore";
  const dataplane::GatewayTables* tables = nullptr;
  const esp::CryptoEngine* crypto = nullptr;
  std::function<DataPathCounters()> counters;  // empty: all zero
  // Table publication to the workers (table_sync.hpp); empty: not shown.
  std::function<dataplane::TableSyncCounters()> tableSync;
  std::function<PoolCounts()> poolCounts;  // live; availAtStop = free now
  ike::Engine* ike = nullptr;              // nullptr: no [connections]
  std::function<IkeReport()> ikeReport;    // empty: no [connections]
  ConfigSnapshot config;
  // Re-reads the configuration file and applies the differences
  // (ipsecgwd's config_reload.hpp); empty: reload is refused.
  std::function<Expected<nlohmann::json, std::string>(uint64_t nowMs)> reload;
  // Hands an event to the monitor subscribers (Server::publish); may be empty.
  std::function<void(const nlohmann::json&, uint64_t nowMs)> publish;
};

}  // namespace ipsecgw::control
