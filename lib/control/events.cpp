#include "control/events.hpp"

#include "esp/transform.hpp"
#include "util/hex.hpp"

namespace ipsecgw::control {

namespace {

nlohmann::json endpointJson(const ike::Endpoint& e) {
  return {{"address", e.address.toString()}, {"port", e.port}};
}

struct EventVisitor {
  uint64_t nowMs;
  nlohmann::json operator()(const ike::ChildSaUp& e) const {
    // Key material (inbound/outbound.keymat) is deliberately not read.
    nlohmann::json j{{"type", "child-up"},
                     {"time_ms", nowMs},
                     {"connection", e.connection},
                     {"child", e.child},
                     {"ike_sa_id", e.ikeSaId},
                     {"spi_in", formatSpi(e.inbound.spi)},
                     {"spi_out", formatSpi(e.outbound.spi)},
                     {"transform", std::string(esp::transformInfo(e.outbound.transform).name)},
                     {"esn", e.outbound.esn}};
    j["replaces_spi_in"] = e.replacesInboundSpi ? nlohmann::json(formatSpi(e.replacesInboundSpi)) : nlohmann::json();
    return j;
  }
  nlohmann::json operator()(const ike::ChildSaDown& e) const {
    return {{"type", "child-down"},        {"time_ms", nowMs},          {"connection", e.connection},
            {"child", e.child},            {"ike_sa_id", e.ikeSaId},    {"spi_in", formatSpi(e.inboundSpi)},
            {"spi_out", formatSpi(e.outboundSpi)}};
  }
  nlohmann::json operator()(const ike::IkeSaUp& e) const {
    return {{"type", "ike-up"},           {"time_ms", nowMs},           {"connection", e.connection},
            {"ike_sa_id", e.ikeSaId},     {"local", endpointJson(e.local)}, {"remote", endpointJson(e.remote)}};
  }
  nlohmann::json operator()(const ike::IkeSaDown& e) const {
    return {{"type", "ike-down"},
            {"time_ms", nowMs},
            {"connection", e.connection},
            {"ike_sa_id", e.ikeSaId},
            {"reason", e.reason}};
  }
};

}  // namespace

nlohmann::json saEventJson(const ike::SaEvent& e, uint64_t nowMs) { return std::visit(EventVisitor{nowMs}, e); }

nlohmann::json commandEventJson(const std::string& command, const nlohmann::json& args, const Caller& caller,
                                bool ok, const std::string& error, uint64_t nowMs) {
  nlohmann::json j{{"type", "command"}, {"time_ms", nowMs}, {"command", command}, {"args", args},
                   {"uid", caller.uid}, {"pid", caller.pid}, {"ok", ok}};
  j["error"] = ok ? nlohmann::json() : nlohmann::json(error);
  return j;
}

}  // namespace ipsecgw::control
