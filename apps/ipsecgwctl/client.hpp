// One request/response exchange with ipsecgwd over its control socket
// (lib/control/protocol.hpp), with a deadline on the whole exchange.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ipsecgw::ctl {

struct Exchange {
  enum class Outcome : uint8_t { Answered, CannotConnect, NoAnswer };
  Outcome outcome = Outcome::NoAnswer;
  nlohmann::json response;  // Answered: the daemon's response object
  std::string error;        // otherwise: why
};

Exchange exchange(const std::string& socketPath, const std::string& requestPayload, int timeoutMs);

}  // namespace ipsecgw::ctl
