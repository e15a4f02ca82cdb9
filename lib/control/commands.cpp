#include "control/commands.hpp"

#include <rte_ether.h>

#include <array>

namespace ipsecgw::control {

namespace {

struct Command {
  std::string_view name;
  bool changesState;
  Reply (*run)(GatewayView& v, const nlohmann::json& args, uint64_t nowMs);
};

// A string argument; `required` ones must be present and non-empty.
Expected<std::string, std::string> stringArg(const nlohmann::json& args, const char* key, bool required) {
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) {
    if (required) return unexpected(std::string("missing argument \"") + key + "\"");
    return std::string();
  }
  if (!it->is_string()) return unexpected(std::string("argument \"") + key + "\" must be a string");
  if (required && it->get_ref<const std::string&>().empty())
    return unexpected(std::string("argument \"") + key + "\" must not be empty");
  return it->get<std::string>();
}

Reply runInitiate(GatewayView& v, const nlohmann::json& args, uint64_t nowMs) {
  auto conn = stringArg(args, "connection", true);
  if (!conn) return unexpected(conn.error());
  auto child = stringArg(args, "child", false);
  if (!child) return unexpected(child.error());
  if (!v.ike) return unexpected(std::string("no IKE connections configured"));
  std::string error;
  if (!v.ike->initiate(*conn, *child, nowMs, error)) return unexpected(error);
  return nlohmann::json{{"connection", *conn}, {"child", *child}, {"initiated", true}};
}

Reply runTerminate(GatewayView& v, const nlohmann::json& args, uint64_t nowMs) {
  auto conn = stringArg(args, "connection", true);
  if (!conn) return unexpected(conn.error());
  auto child = stringArg(args, "child", false);
  if (!child) return unexpected(child.error());
  if (!v.ike) return unexpected(std::string("no IKE connections configured"));
  std::string error;
  const bool ok = child->empty() ? v.ike->terminate(*conn, nowMs, error)
                                 : v.ike->terminateChild(*conn, *child, nowMs, error);
  if (!ok) return unexpected(error);
  return nlohmann::json{{"connection", *conn}, {"child", *child}, {"terminated", true}};
}

// Rekeys now what rekey_time would rekey later: the connection's IKE SAs
// (RFC 7296 1.3.2), or with a child its CHILD_SAs of that name (1.3.3).
Reply runRekey(GatewayView& v, const nlohmann::json& args, uint64_t nowMs) {
  auto conn = stringArg(args, "connection", true);
  if (!conn) return unexpected(conn.error());
  auto child = stringArg(args, "child", false);
  if (!child) return unexpected(child.error());
  if (!v.ike) return unexpected(std::string("no IKE connections configured"));
  std::string error;
  const bool ok = child->empty() ? v.ike->rekeyIke(*conn, nowMs, error) : v.ike->rekeyChild(*conn, *child, nowMs, error);
  if (!ok) return unexpected(error);
  return nlohmann::json{{"connection", *conn}, {"child", *child}, {"rekeying", true}};
}

const std::array<Command, 10> kCommands{{
    {"status", false, [](GatewayView& v, const nlohmann::json&, uint64_t now) -> Reply { return statusResult(v, now); }},
    {"list-sas", false, [](GatewayView& v, const nlohmann::json&, uint64_t now) -> Reply { return listSasResult(v, now); }},
    {"list-conns", false, [](GatewayView& v, const nlohmann::json&, uint64_t) -> Reply { return listConnsResult(v); }},
    {"list-policies", false, [](GatewayView& v, const nlohmann::json&, uint64_t) -> Reply { return listPoliciesResult(v); }},
    {"list-routes", false, [](GatewayView& v, const nlohmann::json&, uint64_t) -> Reply { return listRoutesResult(v); }},
    {"stats", false, [](GatewayView& v, const nlohmann::json&, uint64_t) -> Reply { return statsResult(v); }},
    {"initiate", true, runInitiate},
    {"terminate", true, runTerminate},
    {"rekey", true, runRekey},
    {"commands", false, [](GatewayView&, const nlohmann::json&, uint64_t) -> Reply {
       nlohmann::json names = nlohmann::json::array();
       for (auto n : commandNames()) names.push_back(std::string(n));
       return nlohmann::json{{"commands", names}};
     }},
}};

std::string macText(const rte_ether_addr& a) {
  char buf[RTE_ETHER_ADDR_FMT_SIZE];
  rte_ether_format_addr(buf, sizeof(buf), &a);
  return buf;
}

nlohmann::json addressJson(const std::optional<dataplane::PortAddress>& a) {
  if (!a) return nullptr;
  return a->address.toString() + "/" + std::to_string(a->length);
}

}  // namespace

std::vector<std::string_view> commandNames() {
  std::vector<std::string_view> names;
  for (const auto& c : kCommands) names.push_back(c.name);
  return names;
}

nlohmann::json statusResult(const GatewayView& v, uint64_t nowMs) {
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& p : v.tables->ports)
    ports.push_back({{"name", p.name},
                     {"port_id", p.ethdev->id()},
                     {"role", p.role == dataplane::PortRole::Protected ? "protected" : "unprotected"},
                     {"mac", macText(p.ethdev->mac())},
                     {"ipv4", addressJson(p.ipv4)},
                     {"ipv6", addressJson(p.ipv6)},
                     {"mtu", p.mtu}});
  size_t outbound = 0;
  for (const auto& sa : v.tables->outbound) outbound += sa ? 1 : 0;
  return {{"version", IPSECGW_VERSION},
          {"protocol_version", kProtocolVersion},
          {"uptime_s", (nowMs - v.startedMs) / 1000},
          {"lcores", v.lcores},
          {"worker_mode", v.workerMode},
          {"crypto_engine", v.crypto ? std::string(v.crypto->name()) : std::string()},
          {"crypto_arch", v.crypto ? std::string(v.crypto->arch()) : std::string()},
          {"ports", ports},
          {"outbound_sas", outbound},
          {"inbound_sas", v.tables->inbound.size()},
          {"policies", v.tables->spd ? v.tables->spd->policies().size() : 0},
          {"ike", v.ike != nullptr},
          {"ike_sas", v.ike ? v.ike->listSas().size() : 0},
          {"connections", v.config.connections.size()}};
}

nlohmann::json statsResult(const GatewayView& v) {
  const dataplane::WorkerCounters none{};
  const PoolCounts pool = v.poolCounts ? v.poolCounts() : PoolCounts{};
  IkeReport ike;
  if (v.ikeReport) ike = v.ikeReport();
  nlohmann::json j = statsJson(*v.tables, v.worker ? *v.worker : none, pool, v.ikeReport ? &ike : nullptr);
  // Live, the pool's "at stop" count is the count now.
  auto& mp = j["mbuf_pool"];
  mp["avail_now"] = mp["avail_at_stop"];
  mp.erase("avail_at_stop");
  return j;
}

Handler makeCommandHandler(GatewayView& view) {
  return [&view](const Request& r, const Caller& caller, uint64_t nowMs) -> Reply {
    for (const auto& c : kCommands) {
      if (c.name != r.command) continue;
      Reply reply = c.run(view, r.args, nowMs);
      if (c.changesState && view.log)
        view.log("cli: uid " + std::to_string(caller.uid) + " pid " + std::to_string(caller.pid) + ": " +
                 r.command + " " + r.args.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ": " +
                 (reply ? "ok" : reply.error()));
      return reply;
    }
    std::string known;
    for (const auto& c : kCommands) known += (known.empty() ? "" : ", ") + std::string(c.name);
    // Echo at most a line's worth of what the client sent.
    const std::string shown = r.command.size() > 64 ? r.command.substr(0, 64) + "..." : r.command;
    return unexpected("unknown command \"" + shown + "\" (known: " + known + ")");
  };
}

}  // namespace ipsecgw::control
