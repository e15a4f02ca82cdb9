#include "ike_control.hpp"

#include <cstdio>

namespace ipsecgw {

namespace {
// Exception ring size: IKE is a few datagrams per exchange; a burst of
// IKE_SA_INITs beyond this is shed before any DH (counted).
constexpr uint32_t kRingSize = 1024;
// Single-lcore mode: the control core transmits on the worker's queue (see
// lib/dataplane/ike_io.hpp).
constexpr uint16_t kControlTxQueue = 0;
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

bool IkeControl::attach(dataplane::GatewayTables& tables, esp::CryptoEngine& engine, rte_mempool* pool,
                        std::string& error) {
  (void)error;
  io_ = std::make_unique<dataplane::IkeIo>(tables, *ring_, pool, kControlTxQueue);
  childSas_ = std::make_unique<dataplane::ChildSaTable>(tables, engine);
  service_ = std::make_unique<dataplane::IkeService>(*engine_, *io_, *childSas_, [](const std::string& line) {
    std::fprintf(stderr, "ipsecgwd: %s\n", line.c_str());
  });
  return true;
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
