// Checks that need every section: what each part means only next to the
// others. (References that point backwards, like route.port and policy.sa,
// are resolved where they are read.)
#include "config/sections.hpp"
#include "config/table_reader.hpp"

namespace ipsecgw::config {

namespace {

bool reachable(const IpAddress& a, const GatewayConfig& c) {
  for (const PortConfig& p : c.ports) {
    const auto& own = a.isV4() ? p.ipv4 : p.ipv6;
    if (own && own->onLink(a)) return true;
  }
  for (const RouteConfig& r : c.routes)
    if (r.prefix.contains(a)) return true;
  return false;
}

bool namedByPolicy(size_t sa, const GatewayConfig& c) {
  for (const PolicySpec& p : c.policies)
    if (p.policy.action == policy::PolicyAction::Protect && p.policy.saIndex == sa) return true;
  return false;
}

const PortConfig* portOf(const IpAddress& a, const GatewayConfig& c) {
  for (const PortConfig& p : c.ports) {
    const auto& own = a.isV4() ? p.ipv4 : p.ipv6;
    if (own && own->address == a) return &p;
  }
  return nullptr;
}

// RFC 7383 2.5.1: fragments are sized so that the path carries them whole;
// above the gateway's own port MTU they would need IP fragmentation after
// all (IPv4 does it, IPv6 cannot: such a datagram is dropped).
void checkFragmentSize(const toml::table& root, const GatewayConfig& c, ParseContext& ctx) {
  const toml::table* conns = root["connections"].as_table();
  for (const ConnectionConfig& conn : c.connections) {
    const PortConfig* port = portOf(conn.localAddress, c);
    if (conn.fragmentation == Fragmentation::No || conn.fragmentation == Fragmentation::Accept || !port ||
        c.ike.fragmentSize <= port->mtu)
      continue;
    const toml::node* n = conns ? conns->get(conn.name) : nullptr;
    ctx.notes.emplace_back(n ? whereOf(n->source(), "connections." + conn.name) : Where{},
                           "[ike] fragment_size " + std::to_string(c.ike.fragmentSize) + " exceeds the mtu " +
                               std::to_string(port->mtu) + " of port " + quoted(port->name) +
                               ": IKE fragments would be IP-fragmented (IPv4) or dropped (IPv6)");
  }
}

}  // namespace

void crossCheck(const toml::table& root, const GatewayConfig& c, ParseContext& ctx) {
  auto tables = tablesOf(root, "sa");
  for (size_t i = 0; i < c.sas.size(); ++i) {
    const SaSpec& s = c.sas[i];
    Where where = whereOf(tables[i].first->source(), tables[i].second);
    // RFC 4301 5.2: decrypted traffic must match the SA's selectors, and an
    // inbound SA's selectors are its inbound policies: without one, every
    // packet it decrypts would be dropped as a policy mismatch.
    if (s.direction == esp::Direction::Inbound && !namedByPolicy(i, c))
      throw ConfigError(where, "inbound SA " + quoted(s.name) +
                                   " is named by no inbound policy, so everything it decrypts would be dropped (add a "
                                   "[[policy]] with direction = \"inbound\", action = \"protect\", sa = " +
                                   quoted(s.name) + ")");
    if (s.direction == esp::Direction::Outbound && !namedByPolicy(i, c))
      ctx.notes.emplace_back(where, "outbound SA " + quoted(s.name) + " is named by no policy and will carry nothing");
    // A note, not an error: a route may yet come from the CLI; until then
    // the SA's packets are dropped for want of one.
    if (s.direction == esp::Direction::Outbound && !reachable(s.sa.remoteAddress, c))
      ctx.notes.emplace_back(where, "no port subnet or route reaches remote " + s.sa.remoteAddress.toString());
  }
  checkFragmentSize(root, c, ctx);
}

}  // namespace ipsecgw::config
