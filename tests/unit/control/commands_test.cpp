// The command table (lib/control/commands.hpp) over a fake IKE engine:
// argument checks, unknown commands, the log line of state-changing
// commands, and the connection listing without the PSK.
#include <catch2/catch.hpp>

#include "control/commands.hpp"
#include "control/config_diff.hpp"
#include "control/events.hpp"
#include "util/log.hpp"

// Counts how often fmt formats it.
struct Counted {
  int* n;
};
template <>
struct fmt::formatter<Counted> : fmt::formatter<std::string_view> {
  auto format(const Counted& c, fmt::format_context& ctx) const {
    ++*c.n;
    return fmt::formatter<std::string_view>::format("counted", ctx);
  }
};

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
  void childTrafficSeen(uint32_t, uint64_t) override {}
  void childSoftExpired(uint32_t, uint64_t) override {}
  std::vector<ike::Datagram> takeOutgoing() override { return {}; }
  std::vector<ike::SaEvent> takeEvents() override { return {}; }
  bool rekeyIke(std::string_view connection, uint64_t, std::string& error) override {
    calls.push_back("rekey-ike " + std::string(connection));
    if (connection != "gw-b") error = "no established IKE SA for this connection";
    return connection == "gw-b";
  }
  bool rekeyChild(std::string_view connection, std::string_view child, uint64_t, std::string&) override {
    calls.push_back("rekey-child " + std::string(connection) + "/" + std::string(child));
    return true;
  }
  bool rekeyIkeSa(uint64_t id, uint64_t, std::string&) override {
    calls.push_back("rekey-ike-sa " + std::to_string(id));
    return true;
  }
  bool rekeyChildSa(uint32_t spi, uint64_t, std::string&) override {
    calls.push_back("rekey-child-sa " + std::to_string(spi));
    return true;
  }
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

// Keeps the notice lines of state-changing commands off the test's stderr.
struct QuietLog {
  QuietLog() { log::setCapture([](log::Subsystem, log::Level, std::string_view) {}); }
  ~QuietLog() { log::setCapture({}); }
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
  log::setCapture([&](log::Subsystem s, log::Level l, std::string_view line) {
    if (s == log::Subsystem::Cli && l == log::Level::Notice) log.emplace_back(line);
  });
  std::vector<json> events;
  view.publish = [&](const json& e, uint64_t) { events.push_back(e); };
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
  CHECK(log[0] == "uid 1000 pid 77: initiate {\"child\":\"net\",\"connection\":\"gw-b\"}: ok");
  CHECK(log[1] == "uid 0 pid 77: initiate {\"connection\":\"nope\"}: no connection named nope");
  // The same actions reach monitor subscribers.
  REQUIRE(events.size() == 4);
  CHECK(events[0]["type"] == "command");
  CHECK(events[0]["command"] == "initiate");
  CHECK(events[0]["uid"] == 1000);
  CHECK(events[0]["ok"] == true);
  CHECK(events[1]["ok"] == false);
  CHECK(events[1]["error"] == "no connection named nope");

  // Argument errors never reach the engine.
  for (const json& args : {json::object(), json{{"connection", ""}}, json{{"connection", 5}},
                           json{{"connection", "gw-b"}, {"child", json::array()}}}) {
    INFO(args.dump());
    CHECK_FALSE(run(h, "initiate", args));
    CHECK_FALSE(run(h, "terminate", args));
  }
  CHECK(engine.calls.size() == 4);
  CHECK(log.size() == 12);  // refused arguments are logged too
  log::setCapture({});
}

TEST_CASE("rekey names an IKE SA or CHILD_SA by name or id, checks its arguments", "[control][commands]") {
  QuietLog quiet;
  FakeEngine engine;
  GatewayView view;
  view.ike = &engine;
  Handler h = makeCommandHandler(view);
  REQUIRE(run(h, "rekey", {{"sa", "ike"}, {"connection", "gw-b"}}));
  REQUIRE(run(h, "rekey", {{"sa", "ike"}, {"id", 7}}));
  REQUIRE(run(h, "rekey", {{"sa", "child"}, {"connection", "gw-b"}, {"child", "net"}}));
  auto bySpi = run(h, "rekey", {{"sa", "child"}, {"spi", "0xc0ffee01"}});
  REQUIRE(bySpi);
  CHECK((*bySpi)["spi"] == "0xc0ffee01");
  auto none = run(h, "rekey", {{"sa", "ike"}, {"connection", "gw-x"}});
  REQUIRE_FALSE(none);
  CHECK(none.error() == "no established IKE SA for this connection");
  CHECK(engine.calls == std::vector<std::string>{"rekey-ike gw-b", "rekey-ike-sa 7", "rekey-child gw-b/net",
                                                 "rekey-child-sa 3237998081", "rekey-ike gw-x"});
  for (const json& args :
       {json::object(), json{{"sa", "esp"}}, json{{"sa", "ike"}}, json{{"sa", "ike"}, {"id", -1}},
        json{{"sa", "child"}, {"connection", "gw-b"}}, json{{"sa", "child"}, {"spi", "0x123456789"}},
        json{{"sa", "child"}, {"spi", "zz"}}, json{{"sa", "child"}, {"spi", json::array()}}}) {
    INFO(args.dump());
    CHECK_FALSE(run(h, "rekey", args));
  }
  CHECK(engine.calls.size() == 5);
  GatewayView noIke;
  Handler h2 = makeCommandHandler(noIke);
  CHECK(run(h2, "rekey", {{"sa", "ike"}, {"connection", "gw-b"}}).error() == "no IKE connections configured");
}

TEST_CASE("log-level shows and sets the thresholds per subsystem", "[control][commands][log]") {
  QuietLog quiet;
  GatewayView view;
  Handler h = makeCommandHandler(view);
  for (auto s : log::kAllSubsystems) log::setLevel(s, log::Level::Info);
  auto shown = run(h, "log-level", json::object());
  REQUIRE(shown);
  CHECK((*shown)["levels"] == json{{"ike", "info"}, {"dp", "info"}, {"cli", "info"}, {"cfg", "info"}});
  REQUIRE(run(h, "log-level", {{"subsystem", "ike"}, {"level", "debug"}}));
  CHECK(log::level(log::Subsystem::Ike) == log::Level::Debug);
  CHECK(log::enabled(log::Subsystem::Ike, log::Level::Debug));
  CHECK_FALSE(log::enabled(log::Subsystem::Dp, log::Level::Debug));
  auto all = run(h, "log-level", {{"level", "warning"}});
  REQUIRE(all);
  CHECK((*all)["levels"]["cfg"] == "warning");
  CHECK_FALSE(log::enabled(log::Subsystem::Cli, log::Level::Notice));
  CHECK(log::enabled(log::Subsystem::Cli, log::Level::Error));
  CHECK(run(h, "log-level", {{"level", "loud"}}).error() ==
        "unknown level \"loud\" (error, warning, notice, info, debug)");
  CHECK(run(h, "log-level", {{"subsystem", "disk"}, {"level", "info"}}).error() ==
        "unknown subsystem \"disk\" (ike, dp, cli, cfg)");
  CHECK_FALSE(run(h, "log-level", {{"subsystem", "ike"}}));
  CHECK(log::level(log::Subsystem::Ike) == log::Level::Warning);  // refusals change nothing
  for (auto s : log::kAllSubsystems) log::setLevel(s, log::Level::Info);
}

TEST_CASE("log lines below the threshold are not formatted", "[log]") {
  std::vector<std::string> lines;
  log::setCapture([&](log::Subsystem, log::Level, std::string_view l) { lines.emplace_back(l); });
  log::setLevel(log::Subsystem::Dp, log::Level::Warning);
  int formatted = 0;
  log::info(log::Subsystem::Dp, "hidden {}", Counted{&formatted});
  log::warning(log::Subsystem::Dp, "shown {} {}", 2, "x");
  log::debug(log::Subsystem::Ike, "hidden too {}", Counted{&formatted});
  CHECK(lines == std::vector<std::string>{"shown 2 x"});
  CHECK(formatted == 0);
  log::warning(log::Subsystem::Dp, "{}", Counted{&formatted});
  CHECK(formatted == 1);
  CHECK(lines.back() == "counted");
  CHECK(log::parseLevel("notice") == log::Level::Notice);
  CHECK_FALSE(log::parseLevel("NOTICE"));
  CHECK(log::parseSubsystem("cfg") == log::Subsystem::Cfg);
  CHECK(log::parseTarget("syslog") == log::Target::Syslog);
  CHECK_FALSE(log::parseTarget("file"));
  log::setLevel(log::Subsystem::Dp, log::Level::Info);
  log::setCapture({});
}

TEST_CASE("reload without a reloader is refused; with one it answers its result", "[control][commands]") {
  QuietLog quiet;
  GatewayView view;
  Handler h = makeCommandHandler(view);
  CHECK(run(h, "reload", json::object()).error() == "reload is not available in this daemon");
  view.reload = [](uint64_t) -> Expected<json, std::string> { return json{{"added", json::array({"x"})}}; };
  Handler h2 = makeCommandHandler(view);
  auto r = run(h2, "reload", json::object());
  REQUIRE(r);
  CHECK((*r)["added"][0] == "x");
}

TEST_CASE("sameConnection compares every field, the PSK in constant time", "[control][reload]") {
  auto make = [](const std::string& psk) {
    config::ConnectionConfig c;
    c.name = "gw";
    c.localAddress = *IpAddress::parse("192.0.2.1");
    c.remoteAddress = *IpAddress::parse("192.0.2.2");
    c.psk = SecretBytes(std::span(reinterpret_cast<const uint8_t*>(psk.data()), psk.size()));
    c.ikeProposals = {"aes128gcm16-prfsha256-x25519"};
    config::ChildConfig child;
    child.name = "net";
    child.localTs.push_back({*IpPrefix::parse("10.0.1.0/24"), 0, 0, 65535});
    child.remoteTs.push_back({*IpPrefix::parse("10.0.2.0/24"), 0, 0, 65535});
    child.espProposals = {"aes128gcm16"};
    c.children.push_back(child);
    return c;
  };
  const auto base = make("secret one");
  CHECK(sameConnection(base, make("secret one")));
  CHECK_FALSE(sameConnection(base, make("secret two")));
  CHECK_FALSE(sameConnection(base, make("secret one!")));
  auto ts = make("secret one");
  ts.children[0].remoteTs[0].prefix = *IpPrefix::parse("10.0.3.0/24");
  CHECK_FALSE(sameConnection(base, ts));
  auto rekey = make("secret one");
  rekey.children[0].rekeyTimeS = 60;
  CHECK_FALSE(sameConnection(base, rekey));
  auto dpd = make("secret one");
  dpd.dpdDelayS = 5;
  CHECK_FALSE(sameConnection(base, dpd));
  auto peer = make("secret one");
  peer.remoteAddress = *IpAddress::parse("192.0.2.3");
  CHECK_FALSE(sameConnection(base, peer));
  auto more = make("secret one");
  more.children.push_back(more.children[0]);
  CHECK_FALSE(sameConnection(base, more));
}

TEST_CASE("SA events for monitor carry names and SPIs, never keys", "[control][events]") {
  ike::ChildSaUp up;
  up.ikeSaId = 3;
  up.connection = "gw";
  up.child = "net";
  up.inbound.spi = 0xc1;
  up.outbound.spi = 0xc2;
  const std::vector<uint8_t> key(36, 0xAB);
  up.outbound.keymat = SecretBytes(std::span(key));
  up.inbound.keymat = SecretBytes(std::span(key));
  up.replacesInboundSpi = 0xb1;
  const json j = saEventJson(ike::SaEvent(std::move(up)), 1234);
  CHECK(j["type"] == "child-up");
  CHECK(j["spi_in"] == "0x000000c1");
  CHECK(j["spi_out"] == "0x000000c2");
  CHECK(j["replaces_spi_in"] == "0x000000b1");
  CHECK(j["time_ms"] == 1234);
  const std::string text = j.dump();
  CHECK(text.find("abab") == std::string::npos);
  CHECK(text.find("ABAB") == std::string::npos);
  CHECK(text.find("171,171") == std::string::npos);
  const json down = saEventJson(ike::SaEvent(ike::IkeSaDown{3, "gw", "deleted by peer"}), 5);
  CHECK(down == json{{"type", "ike-down"}, {"time_ms", 5}, {"connection", "gw"}, {"ike_sa_id", 3},
                     {"reason", "deleted by peer"}});
}

TEST_CASE("without IKE the actions say so; unknown commands list the known ones", "[control][commands]") {
  QuietLog quiet;
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
  CHECK((*names)["commands"].size() == commandNames().size() + 1);  // + monitor, the server's own
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
