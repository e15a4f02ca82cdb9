#include "control/telemetry.hpp"

#include <rte_telemetry.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>

#include "control/commands.hpp"
#include "control/telemetry_shape.hpp"
#include "util/expected.hpp"

namespace ipsecgw::control {

namespace {

using nlohmann::json;
using Answer = Expected<json, std::string>;

// "0x1f", "31" -> 31; nothing else.
bool parseNumber(const char* params, uint64_t& out) {
  if (!params || !*params) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtoull(params, &end, 0);
  return errno == 0 && end && *end == '\0' && params[0] != '-';
}

json spisOf(const json& sas) {
  json a = json::array();
  for (const auto& sa : sas) a.push_back(sa.at("spi"));
  return a;
}

Answer workers(const GatewayView& v) {
  const json stats = statsResult(v);
  // Keyed by worker index, plus "control" (the exception path) and "total"
  // (what `stats` shows as "worker").
  json out = json::object();
  const DataPathCounters c = v.counters ? v.counters() : DataPathCounters{};
  for (size_t i = 0; i < c.workers.size(); ++i) out[std::to_string(i)] = briefCountersJson(c.workers[i]);
  out["control"] = briefCountersJson(c.control);
  json total = stats.at("worker");
  total["mbuf_pool"] = stats.at("mbuf_pool");
  out["total"] = total;
  return out;
}

Answer saBySpi(const GatewayView& v, const char* params, uint64_t nowMs) {
  uint64_t spi = 0;
  if (!parseNumber(params, spi)) return unexpected(std::string("usage: /ipsecgw/sa,SPI"));
  const json sas = listSasResult(v, nowMs);
  json found = json::object();
  auto consider = [&](const json& sa) {
    if (sa.is_object() && sa.value("spi", uint64_t{0}) == spi) found[sa.at("direction").get<std::string>()] = sa;
  };
  for (const auto& sa : sas.at("manual_sas")) consider(sa);
  for (const auto& ike : sas.at("ike_sas"))
    for (const auto& child : ike.at("child_sas")) {
      consider(child.at("inbound"));
      consider(child.at("outbound"));
    }
  if (found.empty()) return unexpected("no SA with SPI " + std::to_string(spi));
  return found;
}

Answer ikeSaById(const GatewayView& v, const char* params, uint64_t nowMs) {
  uint64_t id = 0;
  if (!parseNumber(params, id)) return unexpected(std::string("usage: /ipsecgw/ike_sa,ID"));
  for (const auto& sa : listSasResult(v, nowMs).at("ike_sas"))
    if (sa.at("id").get<uint64_t>() == id) return sa;
  return unexpected("no IKE SA with id " + std::to_string(id));
}

struct Endpoint {
  const char* path;
  const char* help;
  Answer (*answer)(GatewayView& v, const char* params, uint64_t nowMs);
};

const Endpoint kEndpoints[] = {
    {"/ipsecgw/status", "ipsecgwd: version, uptime, lcores, crypto engine. No parameters",
     [](GatewayView& v, const char*, uint64_t now) -> Answer { return statusResult(v, now); }},
    {"/ipsecgw/ports", "ipsecgwd: per port rx/tx packets, missed, errors. No parameters",
     [](GatewayView& v, const char*, uint64_t) -> Answer { return statsResult(v).at("ports"); }},
    {"/ipsecgw/workers", "ipsecgwd: per worker packet counters and the mbuf pool. No parameters",
     [](GatewayView& v, const char*, uint64_t) { return workers(v); }},
    {"/ipsecgw/drops", "ipsecgwd: worker drops by reason. No parameters",
     [](GatewayView& v, const char*, uint64_t) -> Answer { return statsResult(v).at("drops"); }},
    {"/ipsecgw/sa_list", "ipsecgwd: SPIs of the outbound and inbound SAs. No parameters",
     [](GatewayView& v, const char*, uint64_t) -> Answer {
       const json sas = statsResult(v).value("sas", json::object());
       return json{{"outbound", spisOf(sas.value("outbound", json::array()))},
                   {"inbound", spisOf(sas.value("inbound", json::array()))}};
     }},
    {"/ipsecgw/sa", "ipsecgwd: one SPI's SAs (counters, lifetime, replay window). Parameter: SPI",
     [](GatewayView& v, const char* p, uint64_t now) { return saBySpi(v, p, now); }},
    {"/ipsecgw/ike", "ipsecgwd: IKE I/O, service and engine counters. No parameters",
     [](GatewayView& v, const char*, uint64_t) -> Answer {
       json ike = statsResult(v).value("ike", json::object());
       ike.erase("child_sas");  // removed SAs' counters: a list, in `ipsecgwctl stats`
       return ike;
     }},
    {"/ipsecgw/ike_sa_list", "ipsecgwd: ids of the IKE SAs. No parameters",
     [](GatewayView& v, const char*, uint64_t now) -> Answer {
       json ids = json::array();
       for (const auto& sa : listSasResult(v, now).at("ike_sas")) ids.push_back(sa.at("id"));
       return json{{"ike_sas", ids}};
     }},
    {"/ipsecgw/ike_sa", "ipsecgwd: one IKE SA with its CHILD_SAs. Parameter: id from /ipsecgw/ike_sa_list",
     [](GatewayView& v, const char* p, uint64_t now) { return ikeSaById(v, p, now); }},
};

void addScalar(rte_tel_data* d, const std::string& name, const TelemetryScalar& s) {
  if (const auto* u = std::get_if<uint64_t>(&s))
    rte_tel_data_add_dict_u64(d, name.c_str(), *u);
  else if (const auto* i = std::get_if<int32_t>(&s))
    rte_tel_data_add_dict_int(d, name.c_str(), *i);
  else
    rte_tel_data_add_dict_string(d, name.c_str(), std::get<std::string>(s).c_str());
}

void toTelemetry(const TelemetryDict& dict, rte_tel_data* d) {
  rte_tel_data_start_dict(d);
  for (const auto& f : dict.fields) {
    if (const auto* s = std::get_if<TelemetryScalar>(&f.value)) {
      addScalar(d, f.name, *s);
    } else if (const auto* entries = std::get_if<std::vector<TelemetryEntry>>(&f.value)) {
      rte_tel_data* c = rte_tel_data_alloc();
      if (!c) continue;
      rte_tel_data_start_dict(c);
      for (const auto& e : *entries) addScalar(c, e.name, e.value);
      if (rte_tel_data_add_dict_container(d, f.name.c_str(), c, 0) != 0) rte_tel_data_free(c);
    } else {
      const auto& a = std::get<std::vector<TelemetryScalar>>(f.value);
      rte_tel_data* c = rte_tel_data_alloc();
      if (!c) continue;
      const bool strings = !a.empty() && std::holds_alternative<std::string>(a.front());
      rte_tel_data_start_array(c, strings ? RTE_TEL_STRING_VAL : RTE_TEL_U64_VAL);
      for (const auto& e : a) {
        if (strings)
          rte_tel_data_add_array_string(c, std::get<std::string>(e).c_str());
        else if (const auto* u = std::get_if<uint64_t>(&e))
          rte_tel_data_add_array_u64(c, *u);
      }
      if (rte_tel_data_add_dict_container(d, f.name.c_str(), c, 0) != 0) rte_tel_data_free(c);
    }
  }
}

}  // namespace

// One request at a time: callers queue on `mutex` until `busy` clears.
struct TelemetryEndpoints::State {
  std::mutex mutex;
  std::condition_variable cv;
  std::atomic<bool> pending{false};  // read by poll() without the lock
  bool busy = false;
  bool done = false;
  GatewayView* view = nullptr;
  const Endpoint* endpoint = nullptr;
  std::string params;
  Answer answer{json()};
};

namespace {
TelemetryEndpoints::State* gState = nullptr;

int onTelemetry(const char* cmd, const char* params, rte_tel_data* d) {
  const Endpoint* endpoint = nullptr;
  for (const auto& e : kEndpoints)
    if (std::string_view(cmd) == e.path) endpoint = &e;
  auto* s = gState;
  if (!endpoint || !s) return -EINVAL;
  std::unique_lock lock(s->mutex);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(TelemetryEndpoints::kAnswerTimeoutMs);
  if (!s->cv.wait_until(lock, deadline, [s] { return !s->busy; })) return -EBUSY;
  if (!s->view) return -ENODEV;
  s->busy = true;
  s->done = false;
  s->endpoint = endpoint;
  s->params = params ? params : "";
  s->pending.store(true, std::memory_order_release);
  const bool answered = s->cv.wait_until(lock, deadline, [s] { return s->done || !s->view; }) && s->done;
  s->pending.store(false, std::memory_order_relaxed);
  s->busy = false;
  Answer answer = std::move(s->answer);
  s->cv.notify_all();
  lock.unlock();
  if (!answered) return -ETIMEDOUT;
  if (!answer) {
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_string(d, "error", answer.error().substr(0, kTelemetryMaxString).c_str());
    return 0;
  }
  toTelemetry(shapeForTelemetry(*answer), d);
  return 0;
}
}  // namespace

TelemetryEndpoints::TelemetryEndpoints() : state_(new State) {
  gState = state_;
  for (const auto& e : kEndpoints) rte_telemetry_register_cmd(e.path, onTelemetry, e.help);
}

TelemetryEndpoints& TelemetryEndpoints::instance() {
  // Never destroyed: DPDK's telemetry threads may call in until exit.
  static TelemetryEndpoints* endpoints = new TelemetryEndpoints;
  return *endpoints;
}

void TelemetryEndpoints::attach(GatewayView* view) {
  std::lock_guard lock(state_->mutex);
  state_->view = view;
  state_->cv.notify_all();
}

uint32_t TelemetryEndpoints::poll(uint64_t nowMs) {
  if (!state_->pending.load(std::memory_order_acquire)) return 0;
  std::lock_guard lock(state_->mutex);
  if (!state_->pending.load(std::memory_order_relaxed) || state_->done || !state_->view) return 0;
  try {
    state_->answer = state_->endpoint->answer(*state_->view, state_->params.c_str(), nowMs);
  } catch (const std::exception& e) {  // a JSON path the view lacks: an error, not a crash
    state_->answer = unexpected(std::string("cannot answer: ") + e.what());
  }
  state_->done = true;
  state_->pending.store(false, std::memory_order_relaxed);
  state_->cv.notify_all();
  return 1;
}

}  // namespace ipsecgw::control
