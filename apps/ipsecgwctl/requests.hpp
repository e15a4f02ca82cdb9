// A command's words on the command line to its request arguments
// (README.md, "Result fields" lists both).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/expected.hpp"

namespace ipsecgw::ctl {

// `words` are the arguments after the command name, already counted
// against the command's usage; the error is a usage sentence.
Expected<nlohmann::json, std::string> requestArgs(const std::string& command, const std::vector<std::string>& words);

}  // namespace ipsecgw::ctl
