// What a worker needs to forward and protect traffic: ports with their
// addresses, the SAs, SPD, SAD, routes and neighbours. Built by the control
// core (lib/dataplane/gateway_builder.hpp from the configuration).
//
// Concurrency: in this increment one lcore runs both the control services
// and the worker, so these tables are plain data owned by that lcore. The
// multi-worker layout (per-worker rings, RCU-deferred frees) replaces direct
// ownership without changing the worker's read paths.
#pragma once

#include <rte_ether.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/neighbor_table.hpp"
#include "dataplane/route_table.hpp"
#include "esp/security_association.hpp"
#include "policy/sad.hpp"
#include "policy/selector.hpp"
#include "policy/spd.hpp"
#include "port/ethdev_port.hpp"

namespace ipsecgw::dataplane {

enum class PortRole : uint8_t { Protected, Unprotected };

// A port's own address and the length of its on-link subnet. (Not an
// IpPrefix: that one is canonical, with the host bits cleared.)
struct PortAddress {
  IpAddress address;
  uint8_t length = 0;
};

struct GatewayPort {
  std::string name;
  port::EthdevPortPtr ethdev;
  PortRole role = PortRole::Protected;
  std::optional<PortAddress> ipv4;
  std::optional<PortAddress> ipv6;
  uint16_t mtu = 1500;
};

struct InboundSa {
  esp::SecurityAssociationPtr sa;
  // RFC 4301 5.2: what decrypted traffic of this SA may contain.
  std::vector<policy::TrafficSelector> selectors;
};

struct GatewayTables {
  std::vector<GatewayPort> ports;
  std::vector<esp::SecurityAssociationPtr> outbound;  // indexed by Policy::saIndex
  // Per outbound SA: the largest inner packet that still fits the egress MTU
  // after ESP (decided once per SA). TCP MSS is clamped to it.
  std::vector<uint16_t> outboundInnerMtu;
  std::vector<InboundSa> inbound;                      // indexed by the SAD's value
  policy::SpdPtr spd;                                  // outbound SPD
  policy::SadPtr sad;
  RouteTablePtr routes;
  NeighborTable neighbors;

  // The port that owns `addr` as one of its own addresses, or -1.
  int localPort(const IpAddress& addr) const {
    for (size_t i = 0; i < ports.size(); ++i) {
      const auto& p = ports[i];
      const auto& own = addr.isV4() ? p.ipv4 : p.ipv6;
      if (own && own->address == addr) return static_cast<int>(i);
    }
    return -1;
  }
};

}  // namespace ipsecgw::dataplane
