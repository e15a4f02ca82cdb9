// The human-readable form of each command's result (the --json form is the
// result object itself, see README.md).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace ipsecgw::ctl {

void render(const std::string& command, const nlohmann::json& result, std::ostream& os);

}  // namespace ipsecgw::ctl
