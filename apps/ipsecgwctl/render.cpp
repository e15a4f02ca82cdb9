#include "render.hpp"

#include "table.hpp"

namespace ipsecgw::ctl {

namespace {

using nlohmann::json;

// Any JSON value as a cell: strings bare, null as "-", the rest as JSON.
std::string cell(const json& j) {
  if (j.is_null()) return "-";
  if (j.is_string()) return j.get<std::string>();
  if (j.is_boolean()) return j.get<bool>() ? "yes" : "no";
  return j.dump();
}

std::string field(const json& j, const char* key) { return j.contains(key) ? cell(j[key]) : "-"; }

std::string joined(const json& list, const char* sep = ", ") {
  std::string s;
  for (auto& x : list) s += (s.empty() ? "" : sep) + cell(x);
  return s.empty() ? "-" : s;
}

std::string selectorText(const json& s) {
  std::string t = field(s, "src") + " -> " + field(s, "dst");
  if (s.value("protocol", 0) != 0) t += " proto " + field(s, "protocol");
  if (s.value("src_ports", "0-65535") != "0-65535") t += " sport " + field(s, "src_ports");
  if (s.value("dst_ports", "0-65535") != "0-65535") t += " dport " + field(s, "dst_ports");
  return t;
}

std::string tsText(const json& list) {
  std::string s;
  for (auto& ts : list) {
    std::string one = ts.contains("prefix") ? field(ts, "prefix") : field(ts, "src") + ">" + field(ts, "dst");
    if (ts.value("protocol", 0) != 0) one += "[" + field(ts, "protocol") + "]";
    s += (s.empty() ? "" : " ") + one;
  }
  return s.empty() ? "-" : s;
}

std::string replayText(const json& sa) {
  if (!sa.contains("replay")) return sa.contains("last_sequence") ? "seq " + field(sa, "last_sequence") : "-";
  const json& r = sa["replay"];
  return field(r, "highest") + " (" + field(r, "received_in_window") + "/" + field(r, "window") + ")";
}

void saTable(json& sas, std::ostream& os) {
  Table t({"NAME", "DIR", "SPI", "TRANSFORM", "MODE", "LOCAL", "REMOTE", "ENCAP", "PACKETS", "BYTES", "DROPS",
           "SEQ/REPLAY", "AGE"});
  for (auto& sa : sas)
    t.add({field(sa, "name"), field(sa, "direction"), field(sa, "spi_hex"), field(sa, "transform"), field(sa, "mode"),
           field(sa, "local_address"), field(sa, "remote_address"),
           sa["udp_encap"].is_null() ? "-" : "udp/" + field(sa["udp_encap"], "dst_port"), field(sa, "packets"),
           field(sa, "bytes"), field(sa, "drops"), replayText(sa), field(sa, "age_s") + "s"});
  t.print(os);
}

void renderStatus(json& r, std::ostream& os) {
  Table kv({"FIELD", "VALUE"});
  for (const char* k : {"version", "uptime_s", "lcores", "worker_mode", "crypto_engine", "crypto_arch", "outbound_sas",
                        "inbound_sas", "policies", "connections", "ike_sas"})
    kv.add({k, field(r, k)});
  kv.print(os);
  os << "\n";
  Table ports({"PORT", "ID", "ROLE", "MAC", "IPV4", "IPV6", "MTU"});
  for (auto& p : r["ports"])
    ports.add({field(p, "name"), field(p, "port_id"), field(p, "role"), field(p, "mac"), field(p, "ipv4"),
               field(p, "ipv6"), field(p, "mtu")});
  ports.print(os);
}

void renderSas(json& r, std::ostream& os) {
  os << "IKE SAs: " << r["ike_sas"].size() << "\n";
  for (auto& s : r["ike_sas"]) {
    os << "  #" << field(s, "id") << " " << field(s, "connection") << " " << field(s, "state") << " "
       << (s.value("initiator", false) ? "initiator" : "responder") << " " << field(s, "local_address") << "["
       << field(s, "local_port") << "] <-> " << field(s, "remote_address") << "[" << field(s, "remote_port") << "] "
       << field(s, "local_id") << " <-> " << field(s, "remote_id") << " " << field(s, "proposal") << " spi "
       << field(s, "spi_i") << "_i " << field(s, "spi_r") << "_r"
       << (s.value("nat_detected", false) ? " NAT" : "") << " age " << field(s, "age_s") << "s\n";
    Table c({"  CHILD", "PROPOSAL", "IN SPI", "OUT SPI", "LOCAL TS", "REMOTE TS", "IN PKTS", "IN BYTES", "OUT PKTS",
             "OUT BYTES", "REPLAY", "AGE"});
    for (auto& ch : s["child_sas"]) {
      const json& in = ch["inbound"];
      const json& out = ch["outbound"];
      c.add({"  " + field(ch, "name"), field(ch, "proposal"), field(ch, "inbound_spi"), field(ch, "outbound_spi"),
             tsText(ch["local_ts"]), tsText(ch["remote_ts"]), in.is_null() ? "-" : field(in, "packets"),
             in.is_null() ? "-" : field(in, "bytes"), out.is_null() ? "-" : field(out, "packets"),
             out.is_null() ? "-" : field(out, "bytes"), in.is_null() ? "-" : replayText(in), field(ch, "age_s") + "s"});
    }
    if (!c.empty()) c.print(os);
  }
  os << "\nManually keyed SAs: " << r["manual_sas"].size() << "\n";
  if (!r["manual_sas"].empty()) saTable(r["manual_sas"], os);
}

void renderConns(json& r, std::ostream& os) {
  Table t({"CONNECTION", "LOCAL", "REMOTE", "LOCAL ID", "REMOTE ID", "IKE PROPOSALS", "IKE SAS", "CHILD", "MODE",
           "LOCAL TS", "REMOTE TS", "ESP PROPOSALS", "START", "CHILD SAS"});
  for (auto& c : r["connections"]) {
    bool first = true;
    for (auto& ch : c["children"]) {
      t.add({first ? field(c, "name") : "", first ? field(c, "local_address") : "",
             first ? field(c, "remote_address") : "", first ? field(c, "local_id") : "",
             first ? field(c, "remote_id") : "", first ? joined(c["ike_proposals"]) : "",
             first ? joined(c["ike_sa_states"]) : "", field(ch, "name"), field(ch, "mode"), tsText(ch["local_ts"]),
             tsText(ch["remote_ts"]), joined(ch["esp_proposals"]), field(ch, "start_action"), field(ch, "child_sas")});
      first = false;
    }
  }
  if (r["connections"].empty())
    os << "no connections configured\n";
  else
    t.print(os);
}

void renderPolicies(json& r, std::ostream& os) {
  Table t({"ID", "NAME", "ORIGIN", "DIR", "PRIORITY", "ACTION", "SELECTOR", "SA"});
  for (auto& p : r["outbound"])
    t.add({field(p, "id"), field(p, "name"), field(p, "origin"), "out", field(p, "priority"), field(p, "action"),
           selectorText(p["selector"]), field(p, "sa_spi")});
  for (auto& p : r["inbound"])
    t.add({"-", field(p, "sa_name"), field(p, "origin"), "in", "-", field(p, "action"), selectorText(p["selector"]),
           field(p, "sa_spi")});
  t.print(os);
}

void renderRoutes(json& r, std::ostream& os) {
  Table t({"PREFIX", "PORT", "VIA", "ORIGIN"});
  for (auto& x : r["routes"]) t.add({field(x, "prefix"), field(x, "port"), field(x, "via"), field(x, "origin")});
  t.print(os);
}

void renderStats(json& r, std::ostream& os) {
  Table ports({"PORT", "RX PACKETS", "TX PACKETS", "RX MISSED", "RX ERRORS", "TX ERRORS"});
  for (auto& [name, p] : r["ports"].items())
    ports.add({name, field(p, "rx_packets"), field(p, "tx_packets"), field(p, "rx_missed"), field(p, "rx_errors"),
               field(p, "tx_errors")});
  ports.print(os);
  os << "\n";
  Table sas({"SA DIR", "SPI", "TRANSFORM", "PACKETS", "BYTES", "DROPS"});
  for (const char* dir : {"outbound", "inbound"})
    if (r.contains("sas") && r["sas"].contains(dir))
      for (auto& s : r["sas"][dir])
        sas.add({dir, cell(s["spi"]), field(s, "transform"), field(s, "packets"), field(s, "bytes"), field(s, "drops")});
  sas.print(os);
  os << "\n";
  Table worker({"WORKER 0", "VALUE"});
  for (auto& [k, v] : r["worker"].items()) worker.add({k, cell(v)});
  worker.print(os);
  os << "\n";
  Table drops({"DROP REASON", "PACKETS"});
  uint64_t zero = 0;
  for (auto& [k, v] : r["drops"].items()) {
    if (v.is_number() && v.get<uint64_t>() == 0)
      ++zero;
    else
      drops.add({k, cell(v)});
  }
  drops.print(os);
  os << "(" << zero << " other reasons at 0)\n\n";
  Table pool({"MBUF POOL", "VALUE"});
  for (auto& [k, v] : r["mbuf_pool"].items()) pool.add({k, cell(v)});
  pool.print(os);
  if (r.contains("ike")) {
    os << "\n";
    Table ike({"IKE COUNTER", "VALUE"});
    for (const char* group : {"io", "service", "engine", "exception_ring"})
      if (r["ike"].contains(group))
        for (auto& [k, v] : r["ike"][group].items()) ike.add({std::string(group) + "." + k, cell(v)});
    ike.print(os);
  }
}

}  // namespace

void render(const std::string& command, const json& constResult, std::ostream& os) {
  json result = constResult;  // missing fields read as null, never as a failed assertion
  if (command == "status")
    renderStatus(result, os);
  else if (command == "list-sas")
    renderSas(result, os);
  else if (command == "list-conns")
    renderConns(result, os);
  else if (command == "list-policies")
    renderPolicies(result, os);
  else if (command == "list-routes")
    renderRoutes(result, os);
  else if (command == "stats")
    renderStats(result, os);
  else if (command == "initiate" || command == "terminate")
    os << command << " " << field(result, "connection")
       << (result.value("child", "").empty() ? "" : "/" + field(result, "child")) << ": requested\n";
  else if (command == "rekey")
    os << "rekey " << field(result, "sa") << " "
       << (result.contains("id")    ? "id " + field(result, "id")
           : result.contains("spi") ? "SPI " + field(result, "spi")
                                    : field(result, "connection") +
                                          (result.contains("child") ? "/" + field(result, "child") : ""))
       << ": requested\n";
  else if (command == "reload")
    os << "reloaded " << field(result, "file") << "\n  added:     " << joined(result["added"])
       << "\n  changed:   " << joined(result["changed"]) << "\n  removed:   " << joined(result["removed"])
       << "\n  unchanged: " << joined(result["unchanged"]) << "\n";
  else if (command == "log-level") {
    Table t({"SUBSYSTEM", "LEVEL"});
    for (auto& [k, v] : result["levels"].items()) t.add({k, cell(v)});
    t.print(os);
  } else
    os << result.dump(2) << "\n";
}

}  // namespace ipsecgw::ctl
