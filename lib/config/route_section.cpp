// [[route]] tables: destination prefix -> port and optional next hop.
#include "config/names.hpp"
#include "config/sections.hpp"
#include "config/table_reader.hpp"

namespace ipsecgw::config {

namespace {

constexpr std::array<std::string_view, 3> kRouteKeys = {"prefix", "port", "via"};

RouteConfig parseRoute(const TableReader& r, const std::vector<PortConfig>& ports,
                       std::vector<std::pair<IpPrefix, uint32_t>>& seen) {
  RouteConfig route;
  route.prefix = r.prefix("prefix");
  for (const auto& [prefix, line] : seen)
    if (prefix == route.prefix)
      r.fail("prefix", "duplicate route for " + route.prefix.toString() + " (first at line " + std::to_string(line) + ")");
  seen.emplace_back(route.prefix, r.where().line);

  route.portIndex = static_cast<uint16_t>(resolveReference(r, "port", ports, "port"));
  const PortConfig& port = ports[route.portIndex];
  route.port = port.name;
  // The port's address of the route's family: the source of ARP/ND for the
  // next hop, and the subnet the next hop must sit in.
  const auto& own = route.prefix.address.isV4() ? port.ipv4 : port.ipv6;
  if (!own)
    r.fail("port", "port " + quoted(port.name) + " has no " + std::string(familyName(route.prefix.address)) +
                       " address, so it cannot carry this route");

  route.via = r.optionalAddress("via");
  if (route.via) {
    if (route.via->family != route.prefix.address.family)
      r.fail("via", "next hop is " + std::string(familyName(*route.via)) + " but the prefix is " +
                        std::string(familyName(route.prefix.address)));
    if (!own->onLink(*route.via))
      r.fail("via", "next hop " + route.via->toString() + " is not on port " + quoted(port.name) + "'s subnet " +
                        own->address.toString() + "/" + std::to_string(own->length));
    if (*route.via == own->address) r.fail("via", "next hop " + route.via->toString() + " is the port's own address");
  }
  return route;
}

}  // namespace

std::vector<RouteConfig> parseRouteSections(const toml::table& root, const std::vector<PortConfig>& ports) {
  std::vector<RouteConfig> routes;
  std::vector<std::pair<IpPrefix, uint32_t>> seen;
  for (const auto& [table, path] : tablesOf(root, "route"))
    routes.push_back(parseRoute(TableReader(*table, path, kRouteKeys), ports, seen));
  return routes;
}

}  // namespace ipsecgw::config
