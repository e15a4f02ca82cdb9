// `ipsecgwctl stats --prometheus`: the stats result (README.md, "stats") in
// the Prometheus text exposition format 0.0.4, for node_exporter's textfile
// collector or a scrape wrapper. Every family has HELP and TYPE lines and its
// samples together; names are ipsecgw_<section>_<field>, counters end in
// _total (Prometheus naming conventions, checked by `promtool check metrics`).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

namespace ipsecgw::ctl {

void renderPrometheus(const nlohmann::json& stats, std::ostream& out);

}  // namespace ipsecgw::ctl
