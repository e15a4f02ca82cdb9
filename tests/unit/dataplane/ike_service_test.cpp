// The control loop's IKE service (lib/dataplane/ike_service.hpp) over a fake
// engine and an in-memory transport: received datagrams reach the engine,
// the engine's datagrams leave, its timers tick at the promised cadence,
// CHILD_SA events change the live tables before the datagram that answers
// them leaves, start-up and stop call initiate/terminate, data-plane
// feedback reaches the engine, and the log has one line per SA event and no
// key.
#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <functional>

#include "crypto/engine_factory.hpp"
#include "dataplane/ike_service.hpp"

using namespace ipsecgw;
using namespace ipsecgw::dataplane;

namespace {

IpAddress addr(const char* s) { return *IpAddress::parse(s); }
IpPrefix prefix(const char* s) { return *IpPrefix::parse(s); }
const IpAddress kLocal = addr("192.0.2.1");
const IpAddress kPeer = addr("192.0.2.2");

class FakeEngine : public ike::Engine {
 public:
  std::vector<std::vector<uint8_t>> received;
  std::vector<uint64_t> ticks;
  std::vector<std::string> initiated, terminated;
  std::vector<uint32_t> trafficSeen, softExpired;
  std::vector<ike::Datagram> outgoing;
  std::vector<ike::SaEvent> events;
  std::vector<ike::IkeSaInfo> sas;
  // What the tables held when the engine's output was taken: set by the test.
  std::function<void()> onTakeOutgoing;

  void receive(ike::Datagram&& d, uint64_t) override { received.push_back(std::move(d.bytes)); }
  void tick(uint64_t nowMs) override { ticks.push_back(nowMs); }
  bool initiate(std::string_view c, std::string_view child, uint64_t, std::string& error) override {
    if (c == "unknown") {
      error = "no connection named unknown";
      return false;
    }
    initiated.push_back(std::string(c) + "/" + std::string(child));
    return true;
  }
  bool terminate(std::string_view c, uint64_t, std::string&) override {
    terminated.emplace_back(c);
    return true;
  }
  void childTrafficSeen(uint32_t spi, uint64_t) override { trafficSeen.push_back(spi); }
  void childSoftExpired(uint32_t spi, uint64_t) override { softExpired.push_back(spi); }
  std::vector<ike::Datagram> takeOutgoing() override {
    if (onTakeOutgoing && !outgoing.empty()) onTakeOutgoing();
    return std::exchange(outgoing, {});
  }
  std::vector<ike::SaEvent> takeEvents() override { return std::exchange(events, {}); }
  std::vector<ike::IkeSaInfo> listSas() const override { return sas; }
};

class MemoryTransport : public DatagramTransport {
 public:
  std::deque<ike::Datagram> inbox;
  std::vector<ike::Datagram> sent;
  uint32_t receive(std::vector<ike::Datagram>& out, uint32_t max) override {
    uint32_t n = 0;
    while (n < max && !inbox.empty()) {
      out.push_back(std::move(inbox.front()));
      inbox.pop_front();
      ++n;
    }
    return n;
  }
  void send(const ike::Datagram& d, uint64_t) override { sent.push_back(d); }
};

ike::Datagram datagram(uint8_t tag) {
  ike::Datagram d;
  d.local = {kLocal, 4500};
  d.remote = {kPeer, 4500};
  d.bytes = {tag, tag, tag};
  return d;
}

esp::SaConfig saConfig(uint32_t spi, uint8_t keyByte) {
  esp::SaConfig c;
  c.spi = spi;
  c.transform = esp::Transform::ChaCha20Poly1305;
  c.keymat = SecretBytes(std::vector<uint8_t>(36, keyByte));
  c.localAddress = kLocal;
  c.remoteAddress = kPeer;
  c.udpEncap = esp::UdpEncap{4500, 4500};
  return c;
}

policy::TrafficSelector side(const char* p) {
  return {.src = prefix(p), .dst = prefix("0.0.0.0/0")};
}

struct Rig {
  esp::CryptoEnginePtr crypto = crypto::makeEngine("openssl");
  GatewayTables t;
  FakeEngine engine;
  MemoryTransport io;
  std::unique_ptr<ChildSaTable> sas;
  std::vector<std::string> log;
  std::unique_ptr<IkeService> service;

  explicit Rig(const char* name) {
    std::string error;
    GatewayPort wan;
    wan.mtu = 1500;
    wan.ipv4 = PortAddress{kLocal, 24};
    t.ports.push_back(std::move(wan));
    RouteTablePtr routes = RouteTable::create(name, 16, error);
    REQUIRE(routes->add(prefix("192.0.2.0/24"), {0, std::nullopt}, error));
    t.routes = std::move(routes);
    t.sad = policy::Sad::create({}, error);
    t.spd = policy::SpdBuilder().build(error);
    REQUIRE(t.spd);
    sas = std::make_unique<ChildSaTable>(t, *crypto);
    service = std::make_unique<IkeService>(engine, io, *sas, [this](const std::string& l) { log.push_back(l); });
  }
  size_t logLines(const std::string& needle) const {
    return static_cast<size_t>(
        std::count_if(log.begin(), log.end(), [&](const std::string& l) { return l.find(needle) != l.npos; }));
  }
};

}  // namespace

TEST_CASE("ike service: datagrams both ways and the tick cadence", "[ike-service]") {
  Rig r("svc_io");
  r.io.inbox.push_back(datagram(1));
  r.io.inbox.push_back(datagram(2));
  r.engine.outgoing.push_back(datagram(9));
  CHECK(r.service->poll(1000) == 3);
  REQUIRE(r.engine.received.size() == 2);
  CHECK(r.engine.received[1] == std::vector<uint8_t>{2, 2, 2});
  REQUIRE(r.io.sent.size() == 1);
  CHECK(r.io.sent[0].bytes == std::vector<uint8_t>{9, 9, 9});

  // tick() at the first pass, then once per kTickMs however often polled.
  for (uint64_t now = 1001; now <= 1200; ++now) r.service->poll(now);
  CHECK(r.engine.ticks == std::vector<uint64_t>{1000, 1050, 1100, 1150, 1200});
  CHECK(r.service->poll(1201) == 0);  // idle: the back-off may sleep

  // More than one poll's worth waits for the next pass.
  for (int i = 0; i < 100; ++i) r.io.inbox.push_back(datagram(3));
  r.service->poll(1202);
  CHECK(r.engine.received.size() == 2 + IkeService::kDatagramsPerPoll);
  r.service->poll(1203);
  CHECK(r.engine.received.size() == 102);
  CHECK(r.service->counters().datagramsIn == 102);
}

TEST_CASE("ike service: start and stop actions", "[ike-service]") {
  Rig r("svc_start");
  r.service->start({{"site-b", "lan"}, {"site-b", "dmz"}, {"unknown", "x"}}, 5);
  CHECK(r.engine.initiated == std::vector<std::string>{"site-b/lan", "site-b/dmz"});
  CHECK(r.logLines("cannot initiate unknown/x: no connection named unknown") == 1);
  r.service->terminateAll({"site-b", "site-c"}, 6);
  CHECK(r.engine.terminated == std::vector<std::string>{"site-b", "site-c"});
}

TEST_CASE("ike service: CHILD_SA events change the tables before the answer leaves", "[ike-service]") {
  Rig r("svc_events");
  ike::IkeSaInfo info;
  info.ikeSaId = 3;
  info.connection = "site-b";
  info.proposal = "aes128gcm16-prfsha256-x25519";
  info.spiI = 0x1122334455667788;
  info.spiR = 0x99aabbccddeeff00;
  r.engine.sas.push_back(info);
  r.engine.events.push_back(ike::IkeSaUp{.ikeSaId = 3, .connection = "site-b",
                                         .local = {kLocal, 4500}, .remote = {kPeer, 4500}});
  ike::ChildSaUp up;
  up.ikeSaId = 3;
  up.connection = "site-b";
  up.child = "lan";
  up.inbound = saConfig(0xc0000001, 0x5a);
  up.outbound = saConfig(0xd0000002, 0x5a);
  up.localTs = {side("10.0.1.0/24")};
  up.remoteTs = {side("10.0.2.0/24")};
  r.engine.events.push_back(std::move(up));
  r.engine.outgoing.push_back(datagram(4));  // e.g. the IKE_AUTH response
  bool installedBeforeSend = false;
  r.engine.onTakeOutgoing = [&] { installedBeforeSend = r.sas->installed().size() == 1; };
  r.service->poll(10);
  CHECK(installedBeforeSend);
  CHECK(r.t.sad->lookup(policy::SadKey::make(0xc0000001, kLocal)) != policy::Sad::kNotFound);
  FlowKey k;
  k.src = addr("10.0.1.9");
  k.dst = addr("10.0.2.9");
  const policy::Policy* p = r.t.spd->lookup(k);
  REQUIRE(p);
  CHECK(r.t.outbound[p->saIndex]->spi() == 0xd0000002);

  CHECK(r.logLines("IKE_SA site-b[3] established: 192.0.2.1[4500] <-> 192.0.2.2[4500], "
                   "aes128gcm16-prfsha256-x25519, SPIs 1122334455667788_i 99aabbccddeeff00_r") == 1);
  CHECK(r.logLines("CHILD_SA site-b/lan[3] up: SPIs 0xc0000001_i 0xd0000002_o, chacha20poly1305, "
                   "192.0.2.1 <-> 192.0.2.2 UDP 4500->4500, 10.0.1.0/24 === 10.0.2.0/24") == 1);
  // No key byte pattern (0x5a5a...) in any form.
  for (const auto& l : r.log) {
    CHECK(l.find("5a5a") == std::string::npos);
    CHECK(l.find("ZZZZ") == std::string::npos);
  }

  // Feedback: traffic on the inbound SA reaches the engine at the next tick.
  r.t.inbound[r.t.sad->lookup(policy::SadKey::make(0xc0000001, kLocal))].sa->counters().packets = 5;
  r.service->poll(70);
  CHECK(r.engine.trafficSeen == std::vector<uint32_t>{0xc0000001});

  // A CHILD_SA install the data plane refuses is logged and counted.
  ike::ChildSaUp dup;
  dup.ikeSaId = 3;
  dup.connection = "site-b";
  dup.child = "lan";
  dup.inbound = saConfig(0xc0000001, 1);
  dup.outbound = saConfig(0xd0000003, 1);
  dup.localTs = {side("10.0.1.0/24")};
  dup.remoteTs = {side("10.0.2.0/24")};
  r.engine.events.push_back(std::move(dup));
  r.service->poll(71);
  CHECK(r.service->counters().installFailures == 1);
  CHECK(r.logLines("CHILD_SA site-b/lan[3] not installed: ") == 1);

  r.engine.events.push_back(ike::ChildSaDown{.ikeSaId = 3, .connection = "site-b", .child = "lan",
                                             .inboundSpi = 0xc0000001, .outboundSpi = 0xd0000002,
                                             .localAddress = kLocal});
  r.engine.events.push_back(ike::IkeSaDown{.ikeSaId = 3, .connection = "site-b", .reason = "deleted by peer"});
  r.service->poll(72);
  CHECK(r.sas->installed().empty());
  CHECK(r.t.sad->lookup(policy::SadKey::make(0xc0000001, kLocal)) == policy::Sad::kNotFound);
  CHECK(r.t.spd->lookup(k) == nullptr);
  CHECK(r.logLines("CHILD_SA site-b/lan[3] down: SPIs 0xc0000001_i 0xd0000002_o, in 5 packets") == 1);
  CHECK(r.logLines("IKE_SA site-b[3] down: deleted by peer") == 1);

  // A down for something never installed is logged, not fatal.
  r.engine.events.push_back(ike::ChildSaDown{.ikeSaId = 3, .connection = "site-b", .child = "lan",
                                             .inboundSpi = 0xc0000009, .outboundSpi = 1, .localAddress = kLocal});
  r.service->poll(73);
  CHECK(r.service->counters().removeFailures == 1);
  const auto& c = r.service->counters();
  CHECK(c.ikeSasUp == 1);
  CHECK(c.ikeSasDown == 1);
  CHECK(c.childSasUp == 1);
  CHECK(c.childSasDown == 1);
}
