// Turns a validated configuration into live tables: opens the ports, adds
// connected and static routes, creates the SAs (wiping the configured keys as
// each crypto session takes them), and builds the SPD and SAD. Control plane;
// needs a running EAL.
#pragma once

#include <rte_mempool.h>

#include <memory>

struct rte_rcu_qsbr;
#include <string>

#include "config/gateway_config.hpp"
#include "dataplane/gateway_tables.hpp"
#include "esp/crypto_engine.hpp"

namespace ipsecgw::dataplane {

// The largest inner packet `sa` (outbound, tunnel mode) carries without its
// ESP packet exceeding `egressMtu`: GatewayTables::outboundInnerMtu, decided
// once per SA (also for SAs that IKE installs later).
uint16_t innerMtuFor(const esp::SecurityAssociation& sa, uint16_t egressMtu);

struct GatewayLayout {
  // Every worker polls its share of each port's RX queues and has a TX
  // queue of its own on each port; the control core gets one more TX queue
  // where the device has it (ControlTx, control_path.hpp).
  uint16_t workers = 1;
  rte_rcu_qsbr* rcu = nullptr;  // the workers' QSBR variable (table_sync.hpp), for the SAD
};

// Returns nullptr and sets `error` (naming the item) if anything refuses;
// what was set up so far is released.
std::unique_ptr<GatewayTables> buildGateway(config::GatewayConfig&& config, esp::CryptoEngine& engine,
                                            rte_mempool* pool, const GatewayLayout& layout, std::string& error);

}  // namespace ipsecgw::dataplane
