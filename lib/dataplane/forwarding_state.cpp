#include "dataplane/forwarding_state.hpp"

namespace ipsecgw::dataplane {

std::unique_ptr<ForwardingState> ForwardingState::of(const GatewayTables& t, uint64_t version) {
  auto s = std::make_unique<ForwardingState>();
  s->version = version;
  s->ports = t.ports;
  s->outbound.reserve(t.outbound.size());
  for (const auto& sa : t.outbound) s->outbound.push_back(sa.get());
  s->outboundInnerMtu = t.outboundInnerMtu;
  s->inbound.reserve(t.inbound.size());
  for (const auto& in : t.inbound) s->inbound.push_back({in.sa.get(), in.sa ? in.selectors : decltype(in.selectors){}});
  s->spd = t.spd;
  s->routes = t.routes;
  s->sad = t.sad.get();
  t.neighbors.forEachResolved(
      [&](uint16_t port, const IpAddress& ip, const rte_ether_addr& mac) { s->neighbors.add(port, ip, mac); });
  return s;
}

int ForwardingState::localPort(const IpAddress& addr) const {
  for (size_t i = 0; i < ports.size(); ++i) {
    const auto& own = addr.isV4() ? ports[i].ipv4 : ports[i].ipv6;
    if (own && own->address == addr) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace ipsecgw::dataplane
