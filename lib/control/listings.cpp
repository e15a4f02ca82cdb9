// list-sas, list-conns, list-policies, list-routes: read-only views of the
// tables, the IKE engine and the configuration snapshot. Never a key: SA
// objects are read through their config's public, non-secret fields only.
#include "control/commands.hpp"
#include "util/hex.hpp"

namespace ipsecgw::control {

namespace {

using nlohmann::json;

const char* directionName(esp::Direction d) { return d == esp::Direction::Inbound ? "inbound" : "outbound"; }

json selectorJson(const policy::TrafficSelector& s) {
  return {{"src", s.src.toString()},
          {"dst", s.dst.toString()},
          {"protocol", s.proto},
          {"src_ports", std::to_string(s.srcPortLo) + "-" + std::to_string(s.srcPortHi)},
          {"dst_ports", std::to_string(s.dstPortLo) + "-" + std::to_string(s.dstPortHi)}};
}

json tsConfigJson(const config::TrafficSelectorConfig& t) {
  return {{"prefix", t.prefix.toString()},
          {"protocol", t.proto},
          {"ports", std::to_string(t.portLo) + "-" + std::to_string(t.portHi)}};
}

// RFC 4301 4.4.2.1 SAD fields an operator needs; no key material.
json saJson(const esp::SecurityAssociation& sa, const std::string& name, uint64_t ageS) {
  const esp::SaConfig& c = sa.config();
  json j = {{"name", name},
            {"direction", directionName(sa.direction())},
            {"spi", sa.spi()},
            {"spi_hex", formatSpi(sa.spi())},
            {"transform", std::string(sa.info().name)},
            {"mode", c.mode == esp::Mode::Tunnel ? "tunnel" : "transport"},
            {"esn", c.esn},
            {"local_address", c.localAddress.toString()},
            {"remote_address", c.remoteAddress.toString()},
            {"udp_encap", c.udpEncap ? json{{"src_port", c.udpEncap->srcPort}, {"dst_port", c.udpEncap->dstPort}}
                                     : json(nullptr)},
            {"age_s", ageS},
            {"packets", sa.counters().packets},
            {"bytes", sa.counters().bytes},
            {"drops", sa.counters().drops},
            {"lifetime",
             {{"soft_bytes", c.lifetime.softBytes},
              {"hard_bytes", c.lifetime.hardBytes},
              {"soft_packets", c.lifetime.softPackets},
              {"hard_packets", c.lifetime.hardPackets}}}};
  if (sa.direction() == esp::Direction::Outbound) {
    j["last_sequence"] = sa.lastSequence();
  } else if (const esp::ReplayWindow* w = sa.replayWindow()) {
    j["replay"] = {{"window", w->size()}, {"highest", w->highest()}, {"received_in_window", w->receivedInWindow()}};
  }
  return j;
}

const esp::SecurityAssociation* findOutbound(const dataplane::GatewayTables& t, uint32_t spi) {
  for (const auto& sa : t.outbound)
    if (sa && sa->spi() == spi) return sa.get();
  return nullptr;
}

const esp::SecurityAssociation* findInbound(const dataplane::GatewayTables& t, uint32_t spi, const IpAddress& local) {
  for (const auto& in : t.inbound)
    if (in.sa->spi() == spi && in.sa->config().localAddress == local) return in.sa.get();
  return nullptr;
}

uint64_t ageS(uint64_t nowMs, uint64_t sinceMs) { return sinceMs && nowMs > sinceMs ? (nowMs - sinceMs) / 1000 : 0; }

const char* startActionName(config::StartAction a) {
  switch (a) {
    case config::StartAction::Start: return "start";
    case config::StartAction::Trap: return "trap";
    default: return "none";
  }
}

const char* dpdActionName(config::DpdAction a) {
  switch (a) {
    case config::DpdAction::Restart: return "restart";
    case config::DpdAction::Trap: return "trap";
    default: return "clear";
  }
}

const char* actionName(policy::PolicyAction a) {
  switch (a) {
    case policy::PolicyAction::Protect: return "protect";
    case policy::PolicyAction::Bypass: return "bypass";
    default: return "discard";
  }
}

}  // namespace

json listSasResult(const GatewayView& v, uint64_t nowMs) {
  const auto& t = *v.tables;
  json ikeSas = json::array();
  if (v.ike) {
    for (const auto& s : v.ike->listSas()) {
      json children = json::array();
      for (const auto& c : s.children) {
        json lts = json::array(), rts = json::array();
        for (const auto& ts : c.localTs) lts.push_back(selectorJson(ts));
        for (const auto& ts : c.remoteTs) rts.push_back(selectorJson(ts));
        const auto* out = findOutbound(t, c.outboundSpi);
        const auto* in = findInbound(t, c.inboundSpi, s.local.address);
        const uint64_t age = ageS(nowMs, c.establishedMs);
        children.push_back({{"name", c.child},
                            {"proposal", c.proposal},
                            {"inbound_spi", formatSpi(c.inboundSpi)},
                            {"outbound_spi", formatSpi(c.outboundSpi)},
                            {"local_ts", lts},
                            {"remote_ts", rts},
                            {"age_s", age},
                            {"inbound", in ? saJson(*in, c.child, age) : json(nullptr)},
                            {"outbound", out ? saJson(*out, c.child, age) : json(nullptr)}});
      }
      ikeSas.push_back({{"id", s.ikeSaId},
                        {"connection", s.connection},
                        {"state", s.state},
                        {"initiator", s.initiator},
                        {"spi_i", formatIkeSpi(s.spiI)},
                        {"spi_r", formatIkeSpi(s.spiR)},
                        {"local_address", s.local.address.toString()},
                        {"local_port", s.local.port},
                        {"remote_address", s.remote.address.toString()},
                        {"remote_port", s.remote.port},
                        {"local_id", s.localId},
                        {"remote_id", s.remoteId},
                        {"proposal", s.proposal},
                        {"nat_detected", s.natDetected},
                        {"age_s", ageS(nowMs, s.establishedMs)},
                        {"child_sas", children}});
    }
  }
  // Manually keyed SAs: the first entries of each table (IKE's come after).
  json manual = json::array();
  const uint64_t uptime = ageS(nowMs, v.startedMs);
  const auto& outNames = v.config.outboundSaNames;
  const auto& inNames = v.config.inboundSaNames;
  for (size_t i = 0; i < outNames.size() && i < t.outbound.size(); ++i)
    if (t.outbound[i]) manual.push_back(saJson(*t.outbound[i], outNames[i], uptime));
  for (size_t i = 0; i < inNames.size() && i < t.inbound.size(); ++i)
    manual.push_back(saJson(*t.inbound[i].sa, inNames[i], uptime));
  return {{"ike_sas", ikeSas}, {"manual_sas", manual}};
}

json listConnsResult(const GatewayView& v) {
  std::vector<ike::IkeSaInfo> sas;
  if (v.ike) sas = v.ike->listSas();
  json conns = json::array();
  for (const auto& c : v.config.connections) {
    json children = json::array();
    for (const auto& ch : c.children) {
      json lts = json::array(), rts = json::array();
      for (const auto& ts : ch.localTs) lts.push_back(tsConfigJson(ts));
      for (const auto& ts : ch.remoteTs) rts.push_back(tsConfigJson(ts));
      size_t installed = 0;
      for (const auto& s : sas)
        if (s.connection == c.name)
          for (const auto& x : s.children) installed += x.child == ch.name ? 1 : 0;
      children.push_back({{"name", ch.name},
                          {"mode", ch.mode == esp::Mode::Tunnel ? "tunnel" : "transport"},
                          {"local_ts", lts},
                          {"remote_ts", rts},
                          {"esp_proposals", ch.espProposals},
                          {"start_action", startActionName(ch.startAction)},
                          {"rekey_time_s", ch.rekeyTimeS},
                          {"replay_window", ch.replayWindow},
                          {"child_sas", installed}});
    }
    json states = json::array();
    for (const auto& s : sas)
      if (s.connection == c.name) states.push_back(s.state);
    conns.push_back({{"name", c.name},
                     {"local_address", c.localAddress.toString()},
                     {"remote_address", c.remoteAddress.toString()},
                     {"local_id", c.localId.value},
                     {"remote_id", c.remoteId.value},
                     {"auth", c.auth == config::AuthMethod::Pubkey ? "pubkey" : "psk"},
                     {"ike_proposals", c.ikeProposals},
                     {"force_encap", c.forceEncap},
                     {"dpd_delay_s", c.dpdDelayS},
                     {"dpd_action", dpdActionName(c.dpdAction)},
                     {"rekey_time_s", c.rekeyTimeS},
                     {"keying_tries", c.keyingTries},
                     {"ike_sa_states", states},
                     {"children", children}});
  }
  return {{"connections", conns}};
}

json listPoliciesResult(const GatewayView& v) {
  const auto& t = *v.tables;
  json out = json::array();
  if (t.spd) {
    for (const auto& p : t.spd->policies()) {
      const PolicyName* named = nullptr;
      for (const auto& n : v.config.policies)
        if (n.id == p.id && n.direction == esp::Direction::Outbound) named = &n;
      json j = {{"id", p.id},
                {"name", named ? named->name : std::string()},
                {"origin", named ? "config" : "ike"},
                {"direction", "outbound"},
                {"priority", p.priority},
                {"action", actionName(p.action)},
                {"selector", selectorJson(p.sel)},
                {"sa_spi", nullptr}};
      if (p.action == policy::PolicyAction::Protect && p.saIndex < t.outbound.size() && t.outbound[p.saIndex])
        j["sa_spi"] = formatSpi(t.outbound[p.saIndex]->spi());
      out.push_back(std::move(j));
    }
  }
  // Inbound: RFC 4301 5.2 checks decrypted traffic against its SA's selectors.
  json in = json::array();
  for (size_t i = 0; i < t.inbound.size(); ++i) {
    const auto& sa = *t.inbound[i].sa;
    const bool manual = i < v.config.inboundSaNames.size();
    for (const auto& sel : t.inbound[i].selectors)
      in.push_back({{"sa_name", manual ? v.config.inboundSaNames[i] : std::string()},
                    {"origin", manual ? "config" : "ike"},
                    {"direction", "inbound"},
                    {"action", "protect"},
                    {"sa_spi", formatSpi(sa.spi())},
                    {"selector", selectorJson(sel)}});
  }
  return {{"outbound", out}, {"inbound", in}};
}

json listRoutesResult(const GatewayView& v) {
  const auto& t = *v.tables;
  json routes = json::array();
  // Connected routes first: the builder makes each port's subnets on-link.
  for (const auto& p : t.ports)
    for (const auto* a : {&p.ipv4, &p.ipv6})
      if (*a)
        if (auto subnet = IpPrefix::parse((*a)->address.toString() + "/" + std::to_string((*a)->length)))
          routes.push_back({{"prefix", subnet->toString()},
                          {"port", p.name},
                          {"via", nullptr},
                          {"origin", "connected"}});
  for (const auto& r : v.config.routes)
    routes.push_back({{"prefix", r.prefix.toString()},
                      {"port", r.port},
                      {"via", r.via ? json(r.via->toString()) : json(nullptr)},
                      {"origin", "config"}});
  return {{"routes", routes}};
}

}  // namespace ipsecgw::control
