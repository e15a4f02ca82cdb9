#include "ike_control.hpp"

#include <set>

#include "control/config_diff.hpp"
#include "util/log.hpp"

namespace ipsecgw {

namespace {
// IKE inbox size: IKE is a few datagrams per exchange; a burst of
// IKE_SA_INITs beyond this is shed before any DH (counted).
constexpr uint32_t kRingSize = 1024;
}  // namespace

std::unique_ptr<IkeControl> IkeControl::create(config::GatewayConfig& config, std::string& error) {
  if (config.connections.empty()) return nullptr;
  std::unique_ptr<IkeControl> c(new IkeControl());
  for (const auto& conn : config.connections) {
    c->connections_.push_back(conn.name);
    for (const auto& child : conn.children)
      if (child.startAction == config::StartAction::Start) c->startList_.push_back({conn.name, child.name});
  }
  c->engine_ = ike::makeEngine(config.ike, std::move(config.connections));
  config.connections.clear();
  if (!c->engine_) {
    error = "IKE engine refused the connections";
    return nullptr;
  }
  c->ring_ = dataplane::ExceptionRing::create("ipsecgwd_ike", kRingSize, error);
  if (!c->ring_) return nullptr;
  return c;
}

void IkeControl::attach(dataplane::GatewayTables& tables, esp::CryptoEngine& engine, rte_mempool* pool,
                        dataplane::ControlPath& out) {
  io_ = std::make_unique<dataplane::IkeIo>(tables, *ring_, pool, out);
  childSas_ = std::make_unique<dataplane::ChildSaTable>(tables, engine);
  service_ = std::make_unique<dataplane::IkeService>(*engine_, *io_, *childSas_, [](const std::string& line) {
    log::info(log::Subsystem::Ike, "{}", line);
  });
}

nlohmann::json IkeControl::applyConnections(std::vector<config::ConnectionConfig>&& next, uint64_t nowMs) {
  nlohmann::json added = nlohmann::json::array(), changed = nlohmann::json::array(),
                 removed = nlohmann::json::array(), unchanged = nlohmann::json::array();
  std::set<std::string> nextNames;
  for (const auto& c : next) nextNames.insert(c.name);
  std::string error;
  for (const auto& name : connections_) {
    if (nextNames.count(name)) continue;
    if (!engine_->removeConnection(name, nowMs, error))
      log::warning(log::Subsystem::Cfg, "reload: removing {}: {}", name, error);
    removed.push_back(name);
  }
  std::vector<dataplane::ChildToStart> toStart;
  connections_.clear();
  startList_.clear();
  for (auto& c : next) {
    connections_.push_back(c.name);
    for (const auto& child : c.children)
      if (child.startAction == config::StartAction::Start) startList_.push_back({c.name, child.name});
    const config::ConnectionConfig* running = engine_->connectionConfig(c.name);
    if (running && control::sameConnection(*running, c)) {
      unchanged.push_back(c.name);
      continue;
    }
    // Changed: the old SAs are deleted (RFC 7296 1.4.1) and the connection
    // negotiated afresh; nothing of the old settings is kept.
    if (running && !engine_->removeConnection(c.name, nowMs, error))
      log::warning(log::Subsystem::Cfg, "reload: removing {}: {}", c.name, error);
    (running ? changed : added).push_back(c.name);
    for (const auto& child : c.children)
      if (child.startAction == config::StartAction::Start) toStart.push_back({c.name, child.name});
    const std::string name = c.name;
    if (!engine_->addConnection(std::move(c), error))
      log::error(log::Subsystem::Cfg, "reload: adding {}: {}", name, error);
  }
  service_->start(toStart, nowMs);
  return {{"added", added}, {"changed", changed}, {"removed", removed}, {"unchanged", unchanged}};
}

IkeReport IkeControl::report() const {
  IkeReport r;
  r.io = &io_->counters();
  r.ringPushed = ring_->pushed();
  r.ringFull = ring_->droppedFull();
  r.service = &service_->counters();
  r.engine = engine_->counters();
  r.retired = &childSas_->retired();
  return r;
}

}  // namespace ipsecgw
