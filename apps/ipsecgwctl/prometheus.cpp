#include "prometheus.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "util/hex.hpp"

namespace ipsecgw::ctl {

namespace {

using nlohmann::json;

// A label value escaped as the format asks (\\, \", \n).
std::string escape(const std::string& v) {
  std::string s;
  for (char c : v) {
    if (c == '\\' || c == '"') s += '\\';
    if (c == '\n') {
      s += "\\n";
      continue;
    }
    s += c;
  }
  return s;
}

// Metric names are [a-zA-Z_:][a-zA-Z0-9_:]*; ours come from JSON field
// names such as "no-route" or "rx_packets".
std::string metricPart(const std::string& name) {
  std::string s = name;
  for (char& c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) c = '_';
  return s;
}

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  Labels labels;
  uint64_t value;
};

struct Family {
  std::string help;
  bool counter;
  std::vector<Sample> samples;
};

// Families by name, so that samples of one family from several places
// (two directions of SAs, say) come out together as the format requires.
class Exposition {
 public:
  void add(const std::string& name, bool counter, const std::string& help, Labels labels, const json& value) {
    uint64_t v = 0;
    if (value.is_boolean())
      v = value.get<bool>();
    else if (value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0))
      v = value.get<uint64_t>();
    else
      return;  // not a count: nothing to expose
    const std::string full = "ipsecgw_" + name + (counter ? "_total" : "");
    auto& f = families_[full];
    f.help = help;
    f.counter = counter;
    f.samples.push_back({std::move(labels), v});
  }

  // Each numeric field of `object` as its own family `prefix_<field>`.
  void addFields(const std::string& prefix, bool counter, const std::string& what, const Labels& labels,
                 const json& object) {
    if (!object.is_object()) return;
    for (auto it = object.begin(); it != object.end(); ++it)
      add(prefix + "_" + metricPart(it.key()), counter, what + " " + it.key(), labels, it.value());
  }

  void write(std::ostream& out) const {
    for (const auto& [name, f] : families_) {
      out << "# HELP " << name << " " << f.help << "\n";
      out << "# TYPE " << name << " " << (f.counter ? "counter" : "gauge") << "\n";
      for (const auto& s : f.samples) {
        out << name;
        if (!s.labels.empty()) {
          out << "{";
          for (size_t i = 0; i < s.labels.size(); ++i)
            out << (i ? "," : "") << s.labels[i].first << "=\"" << escape(s.labels[i].second) << "\"";
          out << "}";
        }
        out << " " << s.value << "\n";
      }
    }
  }

 private:
  std::map<std::string, Family> families_;
};

// The daemon sends an ESP SPI as a JSON number; anything else (not a
// number, wider than 32 bits) is labelled as SPI 0 rather than refused.
std::string spiHex(const json& spi) {
  const uint64_t v = spi.is_number_unsigned() ? spi.get<uint64_t>() : 0;
  return formatSpi(v <= UINT32_MAX ? static_cast<uint32_t>(v) : 0);
}

// The section `key` of `stats`, or an empty object (a daemon without IKE
// has no "ike"); a copy, so that loops over it never see a temporary die.
json section(const json& stats, const char* key) {
  auto it = stats.find(key);
  return it != stats.end() && it->is_object() ? *it : json::object();
}

}  // namespace

void renderPrometheus(const json& stats, std::ostream& out) {
  Exposition e;
  const json ports = section(stats, "ports");
  for (auto it = ports.begin(); it != ports.end(); ++it)
    e.addFields("port", true, "ethdev counter of the port:", {{"port", it.key()}}, it.value());
  // `drops` and `worker` are the sum over the workers and the control
  // core's exception path (README.md, "stats"): labelled worker="all".
  const Labels worker{{"worker", "all"}};
  const json drops = section(stats, "drops");
  for (auto it = drops.begin(); it != drops.end(); ++it)
    e.add("drops", true, "packets the data path dropped, by reason (lib/net/drop_reason.hpp)",
          {{"worker", "all"}, {"reason", it.key()}}, it.value());
  e.addFields("worker", true, "worker counter", worker, section(stats, "worker"));
  e.addFields("mbuf_pool", false, "mbuf pool", {}, section(stats, "mbuf_pool"));
  const json sas = section(stats, "sas");
  for (const char* direction : {"outbound", "inbound"}) {
    auto list = sas.find(direction);
    if (list == sas.end() || !list->is_array()) continue;
    for (const auto& sa : *list) {
      if (!sa.is_object() || !sa.contains("spi")) continue;
      const Labels l{{"direction", direction}, {"spi", spiHex(sa.at("spi"))}, {"transform", sa.value("transform", "")}};
      for (const char* field : {"packets", "bytes", "drops"})
        if (sa.contains(field))
          e.add(std::string("sa_") + field, true, std::string("ESP SA ") + field + " (installed SAs)", l, sa.at(field));
    }
  }
  const json ike = section(stats, "ike");
  e.addFields("ike_io", true, "IKE datagram I/O:", {}, section(ike, "io"));
  e.addFields("ike_exception_ring", true, "worker-to-control exception ring:", {}, section(ike, "exception_ring"));
  e.addFields("ike_service", true, "IKE service:", {}, section(ike, "service"));
  const json engine = section(ike, "engine");
  for (auto it = engine.begin(); it != engine.end(); ++it)
    e.add("ike_engine_events", true, "IKEv2 engine events and drops by reason", {{"event", it.key()}}, it.value());
  e.write(out);
}

}  // namespace ipsecgw::ctl
