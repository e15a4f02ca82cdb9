// The command table (lib/control/commands.hpp) over a fake IKE engine:
// argument checks, unknown commands, the log line of state-changing
// commands, and the connection listing without the PSK.
#include <catch2/catch.hpp>

#include "control/commands.hpp"

using namespace ipsecgw;
using namespace ipsecgw::control;
using nlohmann::json;

namespace {

class FakeEngine : public ike::Engine {
 public:
  void receive(ike::Datagram&&, uint64_t) override {}
  void tick(uint64_t) override {}
  bool initiate(std::string_view connection, std::string_view child, uint64_t, std::string& error) override {
    calls.push_back("initiate " + std::string(connection) + "/" + std::string(child));
    if (connection != "gw-b") {
      error = "no connection named " + std::string(connection);
      return false;
    }
    return true;
  }
  bool terminate(std::string_view connection, uint64_t, std::string&) override {
    calls.push_back("terminate " + std::string(connection));
    return true;
  }
  bool terminateChild(std::string_view connection, std::string_view child, uint64_t, std::string&) override {
    calls.push_back("terminate-child " + std::string(connection) + "/" + std::string(child));
    return true;
  }
  bool rekeyIke(std::string_view connection, uint64_t, std::string& error) override {
    calls.push_back("rekey-ike " + std::string(connection));
    if (connection == "gw-b") return true;
    error = "no established IKE SA for this connection";
    return false;
  }
  bool rekeyChild(std::string_view connection, std::string_view child, uint64_t, std::string&) override {
    calls.push_back("rekey-child " + std::string(connection) + "/" + std::string(child));
    return true;
  }
  void childTrafficSeen(uint32_t, uint64_t) override {}
  void childSoftExpired(uint32_t, uint64_t) override {}
  std::vector<ike::Datagram> takeOutgoing() override { return {}; }
  std::vector<ike::SaEvent> takeEvents() override { return {}; }
  std::vector<ike::IkeSaInfo> listSas() const override {
    ike::IkeSaInfo s;
    s.connection = "gw-b";
    s.state = "ESTABLISHED";
    s.children.push_back({});
    s.children.back().child = "net";
    return {s};
  }
  std::vector<std::string> calls;
};

Reply run(Handler& h, const std::string& command, const json& args, uid_t uid = 0) {
  Request r{command, args};
  Caller c{.pid = 77, .uid = uid, .gid = 0, .groups = {}};
  return h(r, c, 1000);
}

}  // namespace

TEST_CASE("initiate and terminate reach the engine, check their arguments and are logged with the uid",
          "[control][commands]") {
  FakeEngine engine;
  GatewayView view;
  view.ike = &engine;
  std::vector<std::string> log;
  view.log = [&](const std::string& line) { log.push_back(line); };
  Handler h = makeCommandHandler(view);

  auto ok = run(h, "initiate", {{"connection", "gw-b"}, {"child", "net"}}, 1000);
  REQUIRE(ok);
  CHECK((*ok)["initiated"] == true);
  auto bad = run(h, "initiate", {{"connection", "nope"}});
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == "no connection named nope");
  REQUIRE(run(h, "terminate", {{"connection", "gw-b"}}));
  REQUIRE(run(h, "terminate", {{"connection", "gw-b"}, {"child", "net"}}));
  CHECK(engine.calls == std::vector<std::string>{"initiate gw-b/net", "initiate nope/", "terminate gw-b",
                                                 "terminate-child gw-b/net"});
  REQUIRE(log.size() == 4);
  CHECK(log[0] == "cli: uid 1000 pid 77: initiate {\"child\":\"net\",\"connection\":\"gw-b\"}: ok");
  CHECK(log[1] == "cli: uid 0 pid 77: initiate {\"connection\":\"nope\"}: no connection named nope");

  // Argument errors never reach the engine.
  for (const json& args : {json::object(), json{{"connection", ""}}, json{{"connection", 5}},
                           json{{"connection", "gw-b"}, {"child", json::array()}}}) {
    INFO(args.dump());
    CHECK_FALSE(run(h, "initiate", args));
    CHECK_FALSE(run(h, "terminate", args));
  }
  CHECK(engine.calls.size() == 4);
}

TEST_CASE("rekey asks the engine for an IKE SA or a CHILD_SA rekey and is logged", "[control][commands]") {
  FakeEngine engine;
  GatewayView view;
  view.ike = &engine;
  std::vector<std::string> log;
  view.log = [&](const std::string& line) { log.push_back(line); };
  Handler h = makeCommandHandler(view);

  auto ike = run(h, "rekey", {{"connection", "gw-b"}});
  REQUIRE(ike);
  CHECK((*ike)["rekeying"] == true);
  REQUIRE(run(h, "rekey", {{"connection", "gw-b"}, {"child", "net"}}));
  auto none = run(h, "rekey", {{"connection", "gw-c"}});
  REQUIRE_FALSE(none);
  CHECK(none.error() == "no established IKE SA for this connection");
  for (const json& args : {json::object(), json{{"connection", ""}}, json{{"connection", "gw-b"}, {"child", 3}}})
    CHECK_FALSE(run(h, "rekey", args));
  CHECK(engine.calls == std::vector<std::string>{"rekey-ike gw-b", "rekey-child gw-b/net", "rekey-ike gw-c"});
  REQUIRE(log.size() == 6);
  CHECK(log[1] == "cli: uid 0 pid 77: rekey {\"child\":\"net\",\"connection\":\"gw-b\"}: ok");
}

TEST_CASE("without IKE the actions say so; unknown commands list the known ones", "[control][commands]") {
  GatewayView view;
  Handler h = makeCommandHandler(view);
  auto r = run(h, "initiate", {{"connection", "gw-b"}});
  REQUIRE_FALSE(r);
  CHECK(r.error() == "no IKE connections configured");
  auto u = run(h, "list-everything", json::object());
  REQUIRE_FALSE(u);
  CHECK_THAT(u.error(), Catch::StartsWith("unknown command \"list-everything\" (known: status, list-sas,"));
  auto names = run(h, "commands", json::object());
  REQUIRE(names);
  CHECK((*names)["commands"].size() == commandNames().size());
}

TEST_CASE("list-conns shows the configuration and the IKE state, never the PSK", "[control][commands]") {
  config::GatewayConfig cfg;
  config::ConnectionConfig c;
  c.name = "gw-b";
  c.localAddress = *IpAddress::parse("192.0.2.1");
  c.remoteAddress = *IpAddress::parse("192.0.2.2");
  c.localId = {config::IdentityConfig::Type::Fqdn, "gw-a.example"};
  c.remoteId = {config::IdentityConfig::Type::Fqdn, "gw-b.example"};
  const std::string psk = "correct horse battery staple";
  c.psk = SecretBytes(std::span(reinterpret_cast<const uint8_t*>(psk.data()), psk.size()));
  c.ikeProposals = {"aes128gcm16-prfsha256-x25519"};
  config::ChildConfig child;
  child.name = "net";
  child.localTs.push_back({*IpPrefix::parse("10.0.1.0/24"), 0, 0, 65535});
  child.remoteTs.push_back({*IpPrefix::parse("10.0.2.0/24"), 6, 443, 443});
  child.espProposals = {"aes128gcm16"};
  child.startAction = config::StartAction::Start;
  c.children.push_back(child);
  cfg.connections.push_back(std::move(c));

  FakeEngine engine;
  GatewayView view;
  view.ike = &engine;
  view.config = snapshotConfig(cfg);
  const json r = listConnsResult(view);
  const std::string text = r.dump();
  CHECK(text.find("correct horse") == std::string::npos);
  CHECK(text.find("psk") != std::string::npos);  // the method, not the key
  REQUIRE(r["connections"].size() == 1);
  const json& conn = r["connections"][0];
  CHECK(conn["name"] == "gw-b");
  CHECK(conn["local_id"] == "gw-a.example");
  CHECK(conn["remote_address"] == "192.0.2.2");
  CHECK(conn["ike_sa_states"] == json::array({"ESTABLISHED"}));
  REQUIRE(conn["children"].size() == 1);
  CHECK(conn["children"][0]["name"] == "net");
  CHECK(conn["children"][0]["start_action"] == "start");
  CHECK(conn["children"][0]["child_sas"] == 1);
  CHECK(conn["children"][0]["remote_ts"][0] == json{{"prefix", "10.0.2.0/24"}, {"protocol", 6}, {"ports", "443-443"}});
}
