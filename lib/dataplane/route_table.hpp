// Longest-prefix-match routing for IPv4 (rte_lpm) and IPv6 (rte_lpm6): a
// destination maps to a next hop, i.e. an output port and, unless the
// destination is on-link, a gateway address whose MAC the neighbour table
// resolves.
//
// Built on the control core; lookups only read the LPM tables. Replacing a
// route while workers run goes through a new table and an RCU grace period
// (data-plane issue), not through in-place edits.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/ip_address.hpp"

struct rte_lpm;
struct rte_lpm6;

namespace ipsecgw::dataplane {

struct NextHop {
  uint16_t port = 0;                 // index into the gateway's ports
  std::optional<IpAddress> gateway;  // unset: on-link, resolve the destination itself
};

class RouteTable;
using RouteTablePtr = std::unique_ptr<RouteTable>;

class RouteTable {
 public:
  // Needs a running EAL (LPM tables live in DPDK memory). `name` must be
  // unique among live tables.
  static RouteTablePtr create(const std::string& name, uint32_t maxRoutes, std::string& error);
  ~RouteTable();
  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;

  // Control plane. Adding a prefix again replaces its next hop.
  bool add(const IpPrefix& prefix, const NextHop& hop, std::string& error);

  // Data plane: the next hop for `dst`, or nullptr (DropReason::NoRoute).
  const NextHop* lookup(const IpAddress& dst) const;
  // IPv4 fast path on the address as it sits in the header (network order).
  const NextHop* lookupV4(const uint8_t* dst4) const;

  size_t size() const { return hops_.size(); }

 private:
  RouteTable() = default;
  uint32_t hopIndex(const NextHop& hop);

  rte_lpm* v4_ = nullptr;
  rte_lpm6* v6_ = nullptr;
  std::vector<NextHop> hops_;  // LPM next-hop values index this
  // rte_lpm takes depths 1..32 (1..128): default routes (/0) live here.
  std::optional<uint32_t> defaultV4_;
  std::optional<uint32_t> defaultV6_;
};

}  // namespace ipsecgw::dataplane
