#include "control/gateway_view.hpp"

namespace ipsecgw::control {

ConfigSnapshot snapshotConfig(const config::GatewayConfig& config) {
  ConfigSnapshot s;
  s.routes = config.routes;
  for (const auto& sa : config.sas)
    (sa.direction == esp::Direction::Outbound ? s.outboundSaNames : s.inboundSaNames).push_back(sa.name);
  for (const auto& p : config.policies) s.policies.push_back({p.policy.id, p.name, p.direction, p.saName});
  // Field by field: ConnectionConfig also holds the PSK and the private key, which stay behind.
  for (const auto& c : config.connections) {
    ConnectionSummary cs{.name = c.name,
                         .localAddress = c.localAddress,
                         .remoteAddress = c.remoteAddress,
                         .localId = c.localId,
                         .remoteId = c.remoteId,
                         .auth = c.auth,
                         .ikeProposals = c.ikeProposals,
                         .forceEncap = c.forceEncap,
                         .dpdDelayS = c.dpdDelayS,
                         .dpdAction = c.dpdAction,
                         .rekeyTimeS = c.rekeyTimeS,
                         .keyingTries = c.keyingTries,
                         .children = {}};
    for (const auto& ch : c.children)
      cs.children.push_back({.name = ch.name,
                             .localTs = ch.localTs,
                             .remoteTs = ch.remoteTs,
                             .espProposals = ch.espProposals,
                             .mode = ch.mode,
                             .startAction = ch.startAction,
                             .rekeyTimeS = ch.rekeyTimeS,
                             .replayWindow = ch.replayWindow});
    s.connections.push_back(std::move(cs));
  }
  return s;
}

}  // namespace ipsecgw::control
