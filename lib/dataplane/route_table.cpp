#include "dataplane/route_table.hpp"

#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>

#include "util/byte_order.hpp"

namespace ipsecgw::dataplane {

RouteTablePtr RouteTable::create(const std::string& name, uint32_t maxRoutes, std::string& error) {
  RouteTablePtr t(new RouteTable());
  rte_lpm_config c4{};
  c4.max_rules = maxRoutes;
  c4.number_tbl8s = 256;  // room for 256 routes longer than /24
  t->v4_ = rte_lpm_create((name + "4").c_str(), SOCKET_ID_ANY, &c4);
  rte_lpm6_config c6{};
  c6.max_rules = maxRoutes;
  c6.number_tbl8s = 1u << 14;  // IPv6 prefixes past /24 each need tbl8s
  t->v6_ = rte_lpm6_create((name + "6").c_str(), SOCKET_ID_ANY, &c6);
  if (!t->v4_ || !t->v6_) {
    error = "cannot create route table " + name + ": " + rte_strerror(rte_errno);
    return nullptr;
  }
  return t;
}

RouteTable::~RouteTable() {
  rte_lpm_free(v4_);
  rte_lpm6_free(v6_);
}

uint32_t RouteTable::hopIndex(const NextHop& hop) {
  for (uint32_t i = 0; i < hops_.size(); ++i)
    if (hops_[i].port == hop.port && hops_[i].gateway == hop.gateway) return i;
  hops_.push_back(hop);
  return static_cast<uint32_t>(hops_.size() - 1);
}

bool RouteTable::add(const IpPrefix& prefix, const NextHop& hop, std::string& error) {
  if (hop.gateway && hop.gateway->family != prefix.address.family) {
    error = "route " + prefix.toString() + ": gateway " + hop.gateway->toString() + " is of another family";
    return false;
  }
  uint32_t idx = hopIndex(hop);
  if (prefix.length == 0) {
    (prefix.address.isV4() ? defaultV4_ : defaultV6_) = idx;
    return true;
  }
  int rc = prefix.address.isV4() ? rte_lpm_add(v4_, loadBe32(prefix.address.bytes.data()), prefix.length, idx)
                                 : rte_lpm6_add(v6_, prefix.address.bytes.data(), prefix.length, idx);
  if (rc != 0) {
    error = "route " + prefix.toString() + ": " + rte_strerror(-rc);
    return false;
  }
  return true;
}

const NextHop* RouteTable::lookupV4(const uint8_t* dst4) const {
  uint32_t idx;
  if (rte_lpm_lookup(v4_, loadBe32(dst4), &idx) != 0) return defaultV4_ ? &hops_[*defaultV4_] : nullptr;
  return &hops_[idx];
}

const NextHop* RouteTable::lookup(const IpAddress& dst) const {
  if (dst.isV4()) return lookupV4(dst.bytes.data());
  uint32_t idx;
  if (rte_lpm6_lookup(v6_, dst.bytes.data(), &idx) != 0) return defaultV6_ ? &hops_[*defaultV6_] : nullptr;
  return &hops_[idx];
}

}  // namespace ipsecgw::dataplane
