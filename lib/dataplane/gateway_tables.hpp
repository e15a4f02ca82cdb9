// The gateway's tables: ports with their addresses, the SAs, SPD, SAD,
// routes and neighbours. Built by the control core (lib/dataplane/
// gateway_builder.hpp from the configuration) and changed by it at run time
// (CHILD_SAs, neighbours).
//
// Concurrency: these are the control core's master copy; workers never read
// them. After a change the control core calls changed(): the TableSync
// (table_sync.hpp) publishes an immutable ForwardingState built from them to
// every worker over the worker's ring. What the workers may still be reading
// when it goes away (an SA, its slot, an old SPD or route table) is handed to
// retire() and freed after every worker passed a quiescent state
// (rte_rcu_qsbr). The SAD is the one table workers read directly: an rte_hash
// in lock-free mode whose removed slots the same RCU reclaims.
//
// SA slots are stable: the SPD names an outbound SA by its index in
// `outbound`, the SAD an inbound SA by its index in `inbound`, so an SA never
// moves while it lives. A removed SA leaves an empty slot (nullptr), which is
// reused only after the grace period, when no worker holds a policy or SAD
// answer that still names it.
#pragma once

#include <rte_ether.h>

#include <functional>
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

// An SA leaving its slot (ChildSaTable::remove): kept alive until no worker
// can reach it, then destroyed (its destructor wipes the keys) and the slot
// freed for reuse.
struct RetiredSlot {
  esp::Direction direction = esp::Direction::Outbound;
  uint32_t slot = 0;
  esp::SecurityAssociationPtr sa;
};

struct GatewayTables {
  std::vector<GatewayPort> ports;  // fixed once the gateway runs
  std::vector<esp::SecurityAssociationPtr> outbound;  // indexed by Policy::saIndex; nullptr: empty slot
  // Per outbound SA: the largest inner packet that still fits the egress MTU
  // after ESP (decided once per SA). TCP MSS is clamped to it.
  std::vector<uint16_t> outboundInnerMtu;
  std::vector<InboundSa> inbound;  // indexed by the SAD's value; sa nullptr: empty slot
  // Empty slots that no worker can reach any more, ready for reuse.
  std::vector<uint32_t> freeOutbound, freeInbound;
  std::shared_ptr<const policy::Spd> spd;  // outbound SPD; replaced whole, never changed
  policy::SadPtr sad;
  std::shared_ptr<const RouteTable> routes;
  NeighborTable neighbors;

  // Set by the TableSync serving the workers. Without one (unit tests, the
  // builder) there is no reader besides the caller: changes count at once
  // and retired slots are free at once.
  std::function<void()> publish;
  std::function<void(RetiredSlot&&)> retireHook;

  void changed() {
    if (publish) publish();
  }
  void retire(RetiredSlot&& r) {
    if (retireHook) {
      retireHook(std::move(r));
      return;
    }
    (r.direction == esp::Direction::Outbound ? freeOutbound : freeInbound).push_back(r.slot);
  }

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
