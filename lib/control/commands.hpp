// The control socket's commands (apps/ipsecgwctl/README.md lists their
// arguments and result fields): a table of name, whether the command
// changes state, and the function that builds its result from the
// GatewayView. State-changing commands are logged (util/log.hpp, subsystem
// cli, level notice) with the caller's uid and pid, whatever their outcome,
// and published to monitor subscribers; every request is logged at debug.
#pragma once

#include <string_view>
#include <vector>

#include "control/gateway_view.hpp"
#include "control/server.hpp"

namespace ipsecgw::control {

// The server's handler over `view` (which must outlive it).
Handler makeCommandHandler(GatewayView& view);
std::vector<std::string_view> commandNames();

// The result builders, one per command (listings.cpp, commands.cpp).
nlohmann::json statusResult(const GatewayView& v, uint64_t nowMs);
nlohmann::json statsResult(const GatewayView& v);
nlohmann::json listSasResult(const GatewayView& v, uint64_t nowMs);
nlohmann::json listConnsResult(const GatewayView& v);
nlohmann::json listPoliciesResult(const GatewayView& v);
nlohmann::json listRoutesResult(const GatewayView& v);

}  // namespace ipsecgw::control
