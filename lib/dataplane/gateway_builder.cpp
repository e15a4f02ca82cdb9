#include "dataplane/gateway_builder.hpp"

#include <algorithm>
#include <unordered_map>

namespace ipsecgw::dataplane {

// ESP body (payload + pad + 2-byte trailer) is a multiple of the block size.
uint16_t innerMtuFor(const esp::SecurityAssociation& sa, uint16_t egressMtu) {
  const int room = int{egressMtu} - int(sa.headerOverhead()) - int{sa.info().icvLen};
  const int body = room - room % sa.info().blockLen;
  return static_cast<uint16_t>(std::max(body - 2, 0));
}

namespace {

bool openPorts(config::GatewayConfig& cfg, rte_mempool* pool, uint16_t workers, GatewayTables& t,
               std::string& error) {
  for (auto& pc : cfg.ports) {
    port::PortSetup setup{.name = pc.name,
                          .device = pc.device,
                          .rxQueues = workers,
                          .txQueues = static_cast<uint16_t>(workers + 1),
                          .fitQueues = true,
                          .mtu = pc.mtu,
                          .pool = pool};
    GatewayPort gp;
    gp.name = pc.name;
    gp.ethdev = port::EthdevPort::open(setup, error);
    if (!gp.ethdev) return false;
    if (gp.ethdev->txQueues() < workers) {
      error = "port " + pc.name + " (" + pc.device + "): the device has " + std::to_string(gp.ethdev->txQueues()) +
              " TX queues, and each of the " + std::to_string(workers) +
              " workers needs one (net_af_packet: add qpairs=" + std::to_string(workers) + " or more)";
      return false;
    }
    gp.role = pc.role == config::PortRole::Protected ? PortRole::Protected : PortRole::Unprotected;
    if (pc.ipv4) gp.ipv4 = PortAddress{pc.ipv4->address, pc.ipv4->length};
    if (pc.ipv6) gp.ipv6 = PortAddress{pc.ipv6->address, pc.ipv6->length};
    gp.mtu = pc.mtu;
    t.ports.push_back(std::move(gp));
  }
  return true;
}

bool addRoutes(const config::GatewayConfig& cfg, GatewayTables& t, std::string& error) {
  RouteTablePtr routes = RouteTable::create("ipsecgwd_routes", 4096, error);
  if (!routes) return false;
  // Connected routes: each port's own subnets are on-link.
  for (uint16_t i = 0; i < t.ports.size(); ++i) {
    for (const auto& a : {t.ports[i].ipv4, t.ports[i].ipv6}) {
      if (!a) continue;
      auto subnet = IpPrefix::parse(a->address.toString() + "/" + std::to_string(a->length));
      if (!subnet || !routes->add(*subnet, {i, std::nullopt}, error)) return false;
    }
  }
  for (const auto& r : cfg.routes)
    if (!routes->add(r.prefix, {r.portIndex, r.via}, error)) return false;
  t.routes = std::move(routes);
  return true;
}

}  // namespace

std::unique_ptr<GatewayTables> buildGateway(config::GatewayConfig&& cfg, esp::CryptoEngine& engine,
                                            rte_mempool* pool, const GatewayLayout& layout, std::string& error) {
  auto t = std::make_unique<GatewayTables>();
  if (!openPorts(cfg, pool, layout.workers, *t, error) || !addRoutes(cfg, *t, error)) return nullptr;

  t->sad = policy::Sad::create({.rcu = layout.rcu}, error);
  if (!t->sad) return nullptr;
  std::unordered_map<std::string, uint32_t> outboundIndex, inboundIndex;
  for (auto& spec : cfg.sas) {
    const bool out = spec.direction == esp::Direction::Outbound;
    const uint32_t spi = spec.sa.spi;
    const IpAddress local = spec.sa.localAddress;
    auto sa = esp::SecurityAssociation::create(std::move(spec.sa), spec.direction, engine, error);
    if (!sa) {
      error = "sa " + spec.name + ": " + error;
      return nullptr;
    }
    if (out) {
      const NextHop* hop = t->routes->lookup(sa->config().remoteAddress);
      if (!hop) {
        error = "sa " + spec.name + ": no route to its remote address " + sa->config().remoteAddress.toString();
        return nullptr;
      }
      outboundIndex[spec.name] = static_cast<uint32_t>(t->outbound.size());
      t->outboundInnerMtu.push_back(innerMtuFor(*sa, t->ports[hop->port].mtu));
      t->outbound.push_back(std::move(sa));
    } else {
      uint32_t idx = static_cast<uint32_t>(t->inbound.size());
      inboundIndex[spec.name] = idx;
      t->inbound.push_back({std::move(sa), {}});
      if (!t->sad->add(policy::SadKey::make(spi, local), idx, error)) {
        error = "sa " + spec.name + ": " + error;
        return nullptr;
      }
    }
  }

  policy::SpdBuilder spd;
  for (auto& ps : cfg.policies) {
    const bool out = ps.direction == esp::Direction::Outbound;
    policy::Policy p = ps.policy;
    if (p.action == policy::PolicyAction::Protect) {
      auto& names = out ? outboundIndex : inboundIndex;
      auto it = names.find(ps.saName);
      if (it == names.end()) {
        error = "policy " + ps.name + ": no " + std::string(out ? "outbound" : "inbound") + " sa named " + ps.saName;
        return nullptr;
      }
      p.saIndex = it->second;
      if (!out) {
        // RFC 4301 5.2: the selectors decrypted traffic of that SA must match.
        t->inbound[it->second].selectors.push_back(p.sel);
        continue;
      }
    } else if (!out) {
      continue;  // inbound BYPASS/DISCARD policies are the outbound SPD's job here
    }
    if (!spd.add(p, error)) {
      error = "policy " + ps.name + ": " + error;
      return nullptr;
    }
  }
  for (size_t i = 0; i < t->inbound.size(); ++i) {
    if (t->inbound[i].selectors.empty()) {
      for (auto& [name, idx] : inboundIndex)
        if (idx == i) error = "sa " + name + ": no inbound policy names it, so all its traffic would be dropped";
      return nullptr;
    }
  }
  t->spd = spd.build(error);
  if (!t->spd) return nullptr;
  return t;
}

}  // namespace ipsecgw::dataplane
