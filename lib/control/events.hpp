// The events `ipsecgwctl monitor` streams (apps/ipsecgwctl/README.md lists
// the fields): the IKE engine's SA events as the control loop applies them,
// and the control socket's own state-changing commands. Built field by
// field from the event, so no key reaches a subscriber.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "control/listener.hpp"
#include "ike/engine/ike_engine.hpp"

namespace ipsecgw::control {

// {"type":"child-up"|"child-down"|"ike-up"|"ike-down", "time_ms":..., ...}
nlohmann::json saEventJson(const ike::SaEvent& e, uint64_t nowMs);

// {"type":"command", "command":..., "args":{...}, "uid":..., "pid":...,
//  "ok":..., "error":...}
nlohmann::json commandEventJson(const std::string& command, const nlohmann::json& args, const Caller& caller,
                                bool ok, const std::string& error, uint64_t nowMs);

}  // namespace ipsecgw::control
