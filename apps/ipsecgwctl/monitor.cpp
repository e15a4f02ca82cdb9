#include "monitor.hpp"

#include <csignal>
#include <ctime>
#include <iostream>

#include "client.hpp"
#include "control/protocol.hpp"

namespace ipsecgw::ctl {

namespace {

volatile std::sig_atomic_t gStop = 0;
void onSignal(int) { gStop = 1; }

std::string text(const nlohmann::json& e, const char* key) {
  auto it = e.find(key);
  if (it == e.end() || it->is_null()) return "-";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// One line per event: wall-clock time of arrival, type, the fields that
// identify the SA (README.md lists every field of the JSON form).
std::string eventLine(const nlohmann::json& e) {
  char when[16];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  std::strftime(when, sizeof when, "%H:%M:%S", &tm);
  const std::string type = text(e, "type");
  std::string line = std::string(when) + " " + type;
  if (type == "child-up" || type == "child-down") {
    line += " " + text(e, "connection") + "/" + text(e, "child") + "[" + text(e, "ike_sa_id") + "] SPIs " +
            text(e, "spi_in") + "_i " + text(e, "spi_out") + "_o";
    if (type == "child-up") line += " " + text(e, "transform");
    if (e.value("replaces_spi_in", nlohmann::json()).is_string()) line += ", replaces " + text(e, "replaces_spi_in") + "_i";
  } else if (type == "ike-up") {
    line += " " + text(e, "connection") + "[" + text(e, "ike_sa_id") + "] " + text(e["local"], "address") + " <-> " +
            text(e["remote"], "address");
  } else if (type == "ike-down") {
    line += " " + text(e, "connection") + "[" + text(e, "ike_sa_id") + "]: " + text(e, "reason");
  } else if (type == "command") {
    line += " uid " + text(e, "uid") + ": " + text(e, "command") + " " + e.value("args", nlohmann::json::object()).dump() +
            ": " + (e.value("ok", false) ? std::string("ok") : text(e, "error"));
  } else {
    line += " " + e.dump();
  }
  return line;
}

}  // namespace

int runMonitor(const std::string& socketPath, bool json, int timeoutMs) {
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  std::signal(SIGPIPE, SIG_IGN);  // stdout piped into a reader that went away
  const auto x = stream(
      socketPath, control::makeRequest("monitor", nlohmann::json::object()), timeoutMs,
      [] { std::cerr << "ipsecgwctl: monitoring " << "events (SIGINT or SIGTERM to stop)" << std::endl; },
      [json](const nlohmann::json& frame) {
        const nlohmann::json event = frame.value("event", nlohmann::json::object());
        // JSON Lines: one compact object per line, flushed, for `jq -c` or tail -f.
        if (json)
          std::cout << event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
        else
          std::cout << eventLine(event) << std::endl;
      },
      gStop);
  if (x.outcome == Exchange::Outcome::Answered && !x.response["ok"].get<bool>()) {
    std::cerr << "ipsecgwctl: monitor: " << x.response.value("error", std::string("unknown error")) << "\n";
    return 1;
  }
  if (x.outcome != Exchange::Outcome::Answered) {
    std::cerr << "ipsecgwctl: " << x.error << "\n";
    return 3;
  }
  return 0;
}

}  // namespace ipsecgw::ctl
