#include "control/commands.hpp"

#include <rte_ether.h>

#include <array>
#include <charconv>

#include "control/events.hpp"
#include "util/hex.hpp"
#include "util/log.hpp"

namespace ipsecgw::control {

namespace {

struct Command {
  std::string_view name;
  // Whether this request changes state (logged, published); null: never.
  bool (*changesState)(const nlohmann::json& args);
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

// "0x1a2b3c4d", "1a2b3c4d" or a JSON number: a 32-bit SPI.
Expected<uint32_t, std::string> spiArg(const nlohmann::json& v) {
  if (v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= UINT32_MAX)
    return static_cast<uint32_t>(v.get<int64_t>());
  if (v.is_string()) {
    std::string_view s = v.get_ref<const std::string&>();
    if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
    uint32_t spi = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), spi, 16);
    if (!s.empty() && s.size() <= 8 && ec == std::errc() && end == s.data() + s.size()) return spi;
  }
  return unexpected(std::string("argument \"spi\" must be a 32-bit SPI (\"0x1a2b3c4d\")"));
}

// rekey {"sa":"ike","connection":C} | {"sa":"ike","id":N}
//       {"sa":"child","connection":C,"child":N} | {"sa":"child","spi":S}
Reply runRekey(GatewayView& v, const nlohmann::json& args, uint64_t nowMs) {
  auto sa = stringArg(args, "sa", true);
  if (!sa) return unexpected(sa.error());
  if (*sa != "ike" && *sa != "child") return unexpected(std::string("argument \"sa\" must be \"ike\" or \"child\""));
  if (!v.ike) return unexpected(std::string("no IKE connections configured"));
  std::string error;
  nlohmann::json result{{"sa", *sa}, {"rekeying", true}};
  if (*sa == "ike") {
    if (auto id = args.find("id"); id != args.end()) {
      if (!id->is_number_integer() || id->get<int64_t>() < 0)
        return unexpected(std::string("argument \"id\" must be a positive integer"));
      if (!v.ike->rekeyIkeSa(id->get<uint64_t>(), nowMs, error)) return unexpected(error);
      result["id"] = *id;
      return result;
    }
    auto conn = stringArg(args, "connection", true);
    if (!conn) return unexpected(conn.error() + " (or \"id\")");
    if (!v.ike->rekeyIke(*conn, nowMs, error)) return unexpected(error);
    result["connection"] = *conn;
    return result;
  }
  if (auto spiIt = args.find("spi"); spiIt != args.end()) {
    auto spi = spiArg(*spiIt);
    if (!spi) return unexpected(spi.error());
    if (!v.ike->rekeyChildSa(*spi, nowMs, error)) return unexpected(error);
    result["spi"] = formatSpi(*spi);
    return result;
  }
  auto conn = stringArg(args, "connection", true);
  if (!conn) return unexpected(conn.error() + " (or \"spi\")");
  auto child = stringArg(args, "child", true);
  if (!child) return unexpected(child.error());
  if (!v.ike->rekeyChild(*conn, *child, nowMs, error)) return unexpected(error);
  result["connection"] = *conn;
  result["child"] = *child;
  return result;
}

nlohmann::json levelsJson() {
  nlohmann::json levels = nlohmann::json::object();
  for (log::Subsystem s : log::kAllSubsystems)
    levels[std::string(log::subsystemName(s))] = std::string(log::levelName(log::level(s)));
  return levels;
}

// log-level {} (show) | {"level":L} (every subsystem) | {"subsystem":S,"level":L}
Reply runLogLevel(GatewayView&, const nlohmann::json& args, uint64_t) {
  auto subsystem = stringArg(args, "subsystem", false);
  if (!subsystem) return unexpected(subsystem.error());
  auto level = stringArg(args, "level", false);
  if (!level) return unexpected(level.error());
  if (level->empty()) {
    if (!subsystem->empty()) return unexpected(std::string("missing argument \"level\""));
    return nlohmann::json{{"levels", levelsJson()}};
  }
  auto l = log::parseLevel(*level);
  if (!l) return unexpected("unknown level \"" + level->substr(0, 32) + "\" (error, warning, notice, info, debug)");
  if (subsystem->empty()) {
    for (log::Subsystem s : log::kAllSubsystems) log::setLevel(s, *l);
  } else {
    auto s = log::parseSubsystem(*subsystem);
    if (!s) return unexpected("unknown subsystem \"" + subsystem->substr(0, 32) + "\" (ike, dp, cli, cfg)");
    log::setLevel(*s, *l);
  }
  return nlohmann::json{{"levels", levelsJson()}};
}

Reply runReload(GatewayView& v, const nlohmann::json&, uint64_t nowMs) {
  if (!v.reload) return unexpected(std::string("reload is not available in this daemon"));
  return v.reload(nowMs);
}

bool always(const nlohmann::json&) { return true; }
bool setsLevel(const nlohmann::json& args) { return args.contains("level"); }

const std::array<Command, 12> kCommands{{
    {"status", nullptr, [](GatewayView& v, const nlohmann::json&, uint64_t now) -> Reply { return statusResult(v, now); }},
    {"list-sas", nullptr, [](GatewayView& v, const nlohmann::json&, uint64_t now) -> Reply { return listSasResult(v, now); }},
    {"list-conns", nullptr, [](GatewayView& v, const nlohmann::json&, uint64_t) -> Reply { return listConnsResult(v); }},
    {"list-policies", nullptr, [](GatewayView& v, const nlohmann::json&, uint64_t) -> Reply { return listPoliciesResult(v); }},
    {"list-routes", nullptr, [](GatewayView& v, const nlohmann::json&, uint64_t) -> Reply { return listRoutesResult(v); }},
    {"stats", nullptr, [](GatewayView& v, const nlohmann::json&, uint64_t) -> Reply { return statsResult(v); }},
    {"initiate", always, runInitiate},
    {"terminate", always, runTerminate},
    {"rekey", always, runRekey},
    {"reload", always, runReload},
    {"log-level", setsLevel, runLogLevel},
    {"commands", nullptr, [](GatewayView&, const nlohmann::json&, uint64_t) -> Reply {
       nlohmann::json names = nlohmann::json::array();
       for (auto n : commandNames()) names.push_back(std::string(n));
       names.push_back(std::string(kMonitorCommand));  // served by the server itself
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
  size_t inbound = 0;
  for (const auto& in : v.tables->inbound) inbound += in.sa ? 1 : 0;
  return {{"version", IPSECGW_VERSION},
          {"protocol_version", kProtocolVersion},
          {"uptime_s", (nowMs - v.startedMs) / 1000},
          {"lcores", v.lcores},
          {"worker_mode", v.workerMode},
          {"crypto_engine", v.crypto ? std::string(v.crypto->name()) : std::string()},
          {"crypto_arch", v.crypto ? std::string(v.crypto->arch()) : std::string()},
          {"ports", ports},
          {"outbound_sas", outbound},
          {"inbound_sas", inbound},
          {"policies", v.tables->spd ? v.tables->spd->policies().size() : 0},
          {"ike", v.ike != nullptr},
          {"ike_sas", v.ike ? v.ike->listSas().size() : 0},
          {"connections", v.config.connections.size()}};
}

nlohmann::json statsResult(const GatewayView& v) {
  const DataPathCounters each = v.counters ? v.counters() : DataPathCounters{};
  const dataplane::WorkerCounters total = each.total();
  const PoolCounts pool = v.poolCounts ? v.poolCounts() : PoolCounts{};
  IkeReport ike;
  if (v.ikeReport) ike = v.ikeReport();
  nlohmann::json j = statsJson(*v.tables, total, pool, v.ikeReport ? &ike : nullptr);
  j["workers"] = nlohmann::json::array();
  for (const auto& w : each.workers) j["workers"].push_back(briefCountersJson(w));
  j["control"] = briefCountersJson(each.control);
  if (v.tableSync) {
    const dataplane::TableSyncCounters ts = v.tableSync();
    j["table_sync"] = {{"published", ts.published},
                       {"deferred", ts.deferred},
                       {"states_freed", ts.statesFreed},
                       {"slots_reclaimed", ts.slotsReclaimed},
                       {"waiting_for_grace", ts.waitingForGrace}};
  }
  // Live, the pool's "at stop" count is the count now.
  auto& mp = j["mbuf_pool"];
  mp["avail_now"] = mp["avail_at_stop"];
  mp.erase("avail_at_stop");
  return j;
}

Handler makeCommandHandler(GatewayView& view) {
  return [&view](const Request& r, const Caller& caller, uint64_t nowMs) -> Reply {
    const std::string args = r.args.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    for (const auto& c : kCommands) {
      if (c.name != r.command) continue;
      log::debug(log::Subsystem::Cli, "uid {} pid {}: request {} {}", caller.uid, caller.pid, r.command, args);
      Reply reply = c.run(view, r.args, nowMs);
      if (c.changesState && c.changesState(r.args)) {
        log::notice(log::Subsystem::Cli, "uid {} pid {}: {} {}: {}", caller.uid, caller.pid, r.command, args,
                    reply ? std::string("ok") : reply.error());
        if (view.publish)
          view.publish(commandEventJson(r.command, r.args, caller, reply.has_value(), reply ? "" : reply.error(),
                                        nowMs),
                       nowMs);
      }
      return reply;
    }
    log::debug(log::Subsystem::Cli, "uid {} pid {}: unknown command", caller.uid, caller.pid);
    std::string known;
    for (const auto& c : kCommands) known += (known.empty() ? "" : ", ") + std::string(c.name);
    known += ", " + std::string(kMonitorCommand);
    // Echo at most a line's worth of what the client sent.
    const std::string shown = r.command.size() > 64 ? r.command.substr(0, 64) + "..." : r.command;
    return unexpected("unknown command \"" + shown + "\" (known: " + known + ")");
  };
}

}  // namespace ipsecgw::control
