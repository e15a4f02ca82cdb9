// ipsecgwctl: the operator's CLI for ipsecgwd (README.md in this folder).
//
//   ipsecgwctl [--socket PATH] [--json] [--timeout MS] COMMAND [ARGS...]
//   ipsecgwctl stats --prometheus
//
// Exit codes: 0 ok, 1 the daemon refused or the command failed, 2 usage,
// 3 cannot connect or no answer (monitor: also when the daemon ends the
// stream; 0 when stopped by SIGINT/SIGTERM).
#include <boost/program_options.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "client.hpp"
#include "prometheus.hpp"
#include "control/protocol.hpp"
#include "monitor.hpp"
#include "render.hpp"
#include "requests.hpp"

namespace po = boost::program_options;
using namespace ipsecgw;

namespace {

enum ExitCode : int { kOk = 0, kFailed = 1, kUsage = 2, kNoConnection = 3 };

constexpr const char* kDefaultSocket = "/run/ipsecgw/ipsecgwd.sock";

struct CommandSpec {
  const char* name;
  const char* usage;
  size_t minArgs, maxArgs;
  const char* help;
};

constexpr CommandSpec kCommands[] = {
    {"status", "status", 0, 0, "version, uptime, lcores, ports, crypto engine"},
    {"list-sas", "list-sas", 0, 0, "IKE SAs with their CHILD_SAs, and manually keyed SAs"},
    {"list-conns", "list-conns", 0, 0, "configured IKE connections and their children"},
    {"list-policies", "list-policies", 0, 0, "outbound SPD and inbound selector checks"},
    {"list-routes", "list-routes", 0, 0, "connected and configured routes"},
    {"stats", "stats", 0, 0, "counters per port, per SA, drops by reason, IKE"},
    {"initiate", "initiate CONNECTION [CHILD]", 1, 2, "bring up a connection (all its children, or one)"},
    {"terminate", "terminate CONNECTION [CHILD]", 1, 2, "delete a connection's IKE SAs (or one child's CHILD_SAs)"},
    {"rekey", "rekey ike CONN|ID", 2, 3, "rekey an IKE SA (by connection or id); rekey child CONN CHILD|SPI"},
    {"reload", "reload", 0, 0, "re-read the config file, apply changed [connections] only"},
    {"log-level", "log-level [[SUBSYSTEM] LEVEL]", 0, 2, "show or set log levels (ike, dp, cli, cfg)"},
    {"monitor", "monitor", 0, 0, "print IKE/SA events and CLI actions as they happen"},
};

const CommandSpec* findCommand(const std::string& name) {
  for (const auto& c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

std::string commandList() {
  std::string s = "commands:\n";
  for (const auto& c : kCommands) s += "  " + std::string(c.usage) + std::string(32 - std::string(c.usage).size(), ' ') + c.help + "\n";
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::string socketPath = kDefaultSocket;
  bool json = false;
  bool prometheus = false;
  int timeoutMs = 5000;
  std::vector<std::string> words;
  po::options_description desc("ipsecgwctl [options] COMMAND [ARGS...]\noptions");
  desc.add_options()("help,h", "this help")("socket,s", po::value(&socketPath)->default_value(socketPath),
                                            "the daemon's control socket (ipsecgwd --control-socket)")(
      "json,j", po::bool_switch(&json), "print the result as JSON (field names: README.md)")(
      "prometheus", po::bool_switch(&prometheus), "stats only: print the counters in Prometheus text format")(
      "timeout", po::value(&timeoutMs)->default_value(timeoutMs), "milliseconds to wait for the answer");
  po::options_description hidden;
  hidden.add_options()("words", po::value(&words));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("words", -1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << "\n" << commandList();
      return kOk;
    }
  } catch (const std::exception& e) {
    std::cerr << "ipsecgwctl: " << e.what() << "\n" << desc << "\n" << commandList();
    return kUsage;
  }
  if (words.empty()) {
    std::cerr << "ipsecgwctl: no command given\n" << commandList();
    return kUsage;
  }
  const CommandSpec* spec = findCommand(words[0]);
  if (!spec) {
    std::cerr << "ipsecgwctl: unknown command \"" << words[0] << "\"\n" << commandList();
    return kUsage;
  }
  const size_t nargs = words.size() - 1;
  if (nargs < spec->minArgs || nargs > spec->maxArgs) {
    std::cerr << "ipsecgwctl: usage: ipsecgwctl " << spec->usage << "\n";
    return kUsage;
  }
  if (prometheus && (spec->name != std::string_view("stats") || json)) {
    std::cerr << "ipsecgwctl: --prometheus goes with the stats command only, and not with --json\n";
    return kUsage;
  }
  if (timeoutMs <= 0) {
    std::cerr << "ipsecgwctl: --timeout must be positive\n";
    return kUsage;
  }

  if (std::string(spec->name) == "monitor") return ctl::runMonitor(socketPath, json, timeoutMs);
  auto args = ctl::requestArgs(spec->name, std::vector<std::string>(words.begin() + 1, words.end()));
  if (!args) {
    std::cerr << "ipsecgwctl: " << args.error() << "\n";
    return kUsage;
  }
  const auto x = ctl::exchange(socketPath, control::makeRequest(spec->name, *args), timeoutMs);
  if (x.outcome != ctl::Exchange::Outcome::Answered) {
    std::cerr << "ipsecgwctl: " << x.error << "\n";
    return kNoConnection;
  }
  if (!x.response["ok"].get<bool>()) {
    const auto& err = x.response.value("error", std::string("unknown error"));
    if (json)
      std::cout << nlohmann::json{{"error", err}}.dump(2) << "\n";
    std::cerr << "ipsecgwctl: " << spec->name << ": " << err << "\n";
    return kFailed;
  }
  const nlohmann::json result = x.response.value("result", nlohmann::json::object());
  if (json)
    std::cout << result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  else if (prometheus)
    ctl::renderPrometheus(result, std::cout);
  else
    ctl::render(spec->name, result, std::cout);
  return kOk;
}
