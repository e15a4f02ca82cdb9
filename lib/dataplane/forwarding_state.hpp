// What one worker reads to forward and protect packets: an immutable copy of
// the control core's tables (gateway_tables.hpp) at one moment. The control
// core builds a new one for every change and hands it to each worker over the
// worker's ring (table_sync.hpp); a worker switches between bursts, so a
// burst never sees half of a change. Nothing in it changes after of():
// workers share one instance without locks.
//
// What is copied and what is shared: the slot vectors and the neighbours
// are copied (pointers and MACs, cheap); the SPD and the route table are
// immutable objects shared by pointer with the master; the SA objects are
// shared too, since their sequence numbers, replay windows and counters are
// the data path's own state (each SA is retired through RCU before it is
// destroyed). The SAD is the master's lock-free rte_hash.
#pragma once

#include <rte_ether.h>

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "dataplane/gateway_tables.hpp"

namespace ipsecgw::dataplane {

// Resolved neighbours only, by (port, address): what route() needs. The
// unresolved ones, with their waiting packets, stay with the control core.
class ResolvedNeighbors {
 public:
  void add(uint16_t port, const IpAddress& ip, const rte_ether_addr& mac) { macs_[{port, ip}] = mac; }
  const rte_ether_addr* lookup(uint16_t port, const IpAddress& ip) const {
    auto it = macs_.find({port, ip});
    return it == macs_.end() ? nullptr : &it->second;
  }
  size_t size() const { return macs_.size(); }

 private:
  std::unordered_map<NeighborKey, rte_ether_addr, NeighborKeyHash> macs_;
};

struct InboundView {
  esp::SecurityAssociation* sa = nullptr;  // nullptr: empty slot
  std::vector<policy::TrafficSelector> selectors;
};

struct ForwardingState {
  uint64_t version = 0;  // 1, 2, ... in publication order
  std::span<const GatewayPort> ports;
  std::vector<esp::SecurityAssociation*> outbound;  // slot -> SA, nullptr: empty
  std::vector<uint16_t> outboundInnerMtu;
  std::vector<InboundView> inbound;
  std::shared_ptr<const policy::Spd> spd;
  std::shared_ptr<const RouteTable> routes;
  const policy::Sad* sad = nullptr;
  ResolvedNeighbors neighbors;

  static std::unique_ptr<ForwardingState> of(const GatewayTables& t, uint64_t version);

  // The port that owns `addr`, or -1 (GatewayTables::localPort).
  int localPort(const IpAddress& addr) const;
};

}  // namespace ipsecgw::dataplane
