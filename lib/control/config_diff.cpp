#include "control/config_diff.hpp"

namespace ipsecgw::control {

namespace {

bool sameIdentity(const config::IdentityConfig& a, const config::IdentityConfig& b) {
  return a.type == b.type && a.value == b.value;
}

bool sameSelectors(const std::vector<config::TrafficSelectorConfig>& a,
                   const std::vector<config::TrafficSelectorConfig>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].prefix != b[i].prefix || a[i].proto != b[i].proto || a[i].portLo != b[i].portLo ||
        a[i].portHi != b[i].portHi)
      return false;
  return true;
}

bool sameChild(const config::ChildConfig& a, const config::ChildConfig& b) {
  return a.name == b.name && sameSelectors(a.localTs, b.localTs) && sameSelectors(a.remoteTs, b.remoteTs) &&
         a.espProposals == b.espProposals && a.mode == b.mode && a.startAction == b.startAction &&
         a.rekeyTimeS == b.rekeyTimeS && a.replayWindow == b.replayWindow &&
         a.lifetime.softBytes == b.lifetime.softBytes && a.lifetime.hardBytes == b.lifetime.hardBytes &&
         a.lifetime.softPackets == b.lifetime.softPackets && a.lifetime.hardPackets == b.lifetime.hardPackets;
}

bool samePsk(const SecretBytes& a, const SecretBytes& b) {
  // The length of a PSK is no secret worth a timing channel; its bytes are.
  return a.size() == b.size() && constantTimeEqual(a.view().data(), b.view().data(), a.size());
}

}  // namespace

bool sameConnection(const config::ConnectionConfig& running, const config::ConnectionConfig& next) {
  const auto& a = running;
  const auto& b = next;
  if (a.name != b.name || a.localAddress != b.localAddress || a.remoteAddress != b.remoteAddress ||
      !sameIdentity(a.localId, b.localId) || !sameIdentity(a.remoteId, b.remoteId) || a.auth != b.auth ||
      a.ikeProposals != b.ikeProposals || a.forceEncap != b.forceEncap || a.dpdDelayS != b.dpdDelayS ||
      a.dpdAction != b.dpdAction || a.rekeyTimeS != b.rekeyTimeS || a.keyingTries != b.keyingTries ||
      a.children.size() != b.children.size())
    return false;
  for (size_t i = 0; i < a.children.size(); ++i)
    if (!sameChild(a.children[i], b.children[i])) return false;
  return samePsk(a.psk, b.psk);
}

}  // namespace ipsecgw::control
