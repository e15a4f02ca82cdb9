// One request/response exchange with ipsecgwd over its control socket
// (lib/control/protocol.hpp), with a deadline on the whole exchange.
#pragma once

#include <csignal>
#include <functional>
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

// monitor: the same exchange (the response within `timeoutMs`), and when it
// succeeded, every following frame's JSON to `onFrame` until the daemon
// closes the stream (Outcome::NoAnswer, error says so), a frame is not JSON,
// or `stop` becomes non-zero (Outcome::Answered). `onAnswered` runs once,
// after a successful response.
Exchange stream(const std::string& socketPath, const std::string& requestPayload, int timeoutMs,
                const std::function<void()>& onAnswered, const std::function<void(const nlohmann::json&)>& onFrame,
                const volatile std::sig_atomic_t& stop);

}  // namespace ipsecgw::ctl
