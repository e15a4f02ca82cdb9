#include "requests.hpp"

#include <algorithm>
#include <cctype>

namespace ipsecgw::ctl {

namespace {

bool allDigits(const std::string& s) {
  return !s.empty() && s.size() <= 19 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool looksLikeSpi(const std::string& s) {
  return s.size() > 2 && s.size() <= 10 && (s.starts_with("0x") || s.starts_with("0X")) &&
         std::all_of(s.begin() + 2, s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// rekey ike CONNECTION|ID        rekey child CONNECTION CHILD | rekey child SPI
Expected<nlohmann::json, std::string> rekeyArgs(const std::vector<std::string>& w) {
  const std::string usage = "usage: ipsecgwctl rekey ike CONNECTION|ID, or rekey child CONNECTION CHILD|SPI";
  if (w[0] == "ike" && w.size() == 2) {
    if (allDigits(w[1])) return nlohmann::json{{"sa", "ike"}, {"id", std::stoull(w[1])}};
    return nlohmann::json{{"sa", "ike"}, {"connection", w[1]}};
  }
  if (w[0] == "child" && w.size() == 2 && looksLikeSpi(w[1])) return nlohmann::json{{"sa", "child"}, {"spi", w[1]}};
  if (w[0] == "child" && w.size() == 3) return nlohmann::json{{"sa", "child"}, {"connection", w[1]}, {"child", w[2]}};
  return unexpected(usage);
}

}  // namespace

Expected<nlohmann::json, std::string> requestArgs(const std::string& command, const std::vector<std::string>& w) {
  nlohmann::json args = nlohmann::json::object();
  if (command == "rekey") return rekeyArgs(w);
  if (command == "log-level") {
    if (w.size() == 1) args["level"] = w[0];
    if (w.size() == 2) {
      args["subsystem"] = w[0];
      args["level"] = w[1];
    }
    return args;
  }
  // initiate, terminate: CONNECTION [CHILD]
  if (w.size() >= 1) args["connection"] = w[0];
  if (w.size() >= 2) args["child"] = w[1];
  return args;
}

}  // namespace ipsecgw::ctl
