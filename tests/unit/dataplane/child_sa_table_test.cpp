// CHILD_SAs installed into live tables at runtime (lib/dataplane/
// child_sa_table.hpp): the SAD finds the inbound SA, the rebuilt SPD sends
// the negotiated traffic to the outbound SA, manually keyed SAs and
// configured policies stay as they were, removal empties the SA's slots
// (reused once free again) without moving the others, a rekey moves the policies to the new outbound SA,
// and a refused install leaves nothing behind.
#include <catch2/catch.hpp>

#include "crypto/engine_factory.hpp"
#include "dataplane/child_sa_table.hpp"

using namespace ipsecgw;
using namespace ipsecgw::dataplane;

namespace {

IpAddress addr(const char* s) { return *IpAddress::parse(s); }
IpPrefix prefix(const char* s) { return *IpPrefix::parse(s); }

const IpAddress kLocal = addr("192.0.2.1");
const IpAddress kPeer = addr("192.0.2.2");

esp::SaConfig saConfig(uint32_t spi, bool inbound, size_t keyLen = 20) {
  esp::SaConfig c;
  c.spi = spi;
  c.transform = esp::Transform::AesGcm128;
  std::vector<uint8_t> key(keyLen, static_cast<uint8_t>(spi));
  c.keymat = SecretBytes(key);
  c.localAddress = kLocal;
  c.remoteAddress = kPeer;
  c.udpEncap = esp::UdpEncap{4500, 4500};
  (void)inbound;
  return c;
}

// One side of a CHILD_SA as the engine reports it (ike/engine/
// traffic_selectors.hpp toPolicySide): `src` is that side, `dst` the family.
policy::TrafficSelector side(const char* p) {
  policy::TrafficSelector s;
  s.src = prefix(p);
  s.dst = prefix(s.src.address.isV4() ? "0.0.0.0/0" : "::/0");
  return s;
}

ike::ChildSaUp childUp(uint32_t inSpi, uint32_t outSpi, std::vector<const char*> local,
                       std::vector<const char*> remote) {
  ike::ChildSaUp up;
  up.ikeSaId = 7;
  up.connection = "peer";
  up.child = "net";
  up.inbound = saConfig(inSpi, true);
  up.outbound = saConfig(outSpi, false);
  for (auto* p : local) up.localTs.push_back(side(p));
  for (auto* p : remote) up.remoteTs.push_back(side(p));
  return up;
}

ike::ChildSaDown childDown(uint32_t inSpi, uint32_t outSpi) {
  return {.ikeSaId = 7, .connection = "peer", .child = "net", .inboundSpi = inSpi, .outboundSpi = outSpi,
          .localAddress = kLocal};
}

FlowKey flow(const char* src, const char* dst) {
  FlowKey k;
  k.src = addr(src);
  k.dst = addr(dst);
  k.proto = 17;
  k.srcPort = 1000;
  k.dstPort = 2000;
  return k;
}

// Gateway tables with one wan port, a manually keyed SA pair (SPI 0x100 out,
// 0x200 in) protecting 10.8.0.0/16 -> 10.9.0.0/16 and a BYPASS policy.
struct Tables {
  esp::CryptoEnginePtr engine = crypto::makeEngine("openssl");
  GatewayTables t;

  explicit Tables(const char* name) {
    std::string error;
    GatewayPort wan;
    wan.name = "wan";
    wan.mtu = 1500;
    wan.ipv4 = PortAddress{kLocal, 24};
    t.ports.push_back(std::move(wan));
    RouteTablePtr routes = RouteTable::create(name, 64, error);
    REQUIRE(routes);
    REQUIRE(routes->add(prefix("192.0.2.0/24"), {0, std::nullopt}, error));
    t.routes = std::move(routes);
    t.sad = policy::Sad::create({}, error);
    REQUIRE(t.sad);
    auto out = esp::SecurityAssociation::create(saConfig(0x100, false), esp::Direction::Outbound, *engine, error);
    auto in = esp::SecurityAssociation::create(saConfig(0x200, true), esp::Direction::Inbound, *engine, error);
    REQUIRE(out);
    REQUIRE(in);
    t.outbound.push_back(std::move(out));
    t.outboundInnerMtu.push_back(1400);
    policy::TrafficSelector manual{.src = prefix("10.9.0.0/16"), .dst = prefix("10.8.0.0/16")};
    t.inbound.push_back({std::move(in), {manual}});
    REQUIRE(t.sad->add(policy::SadKey::make(0x200, kLocal), 0, error));
    policy::SpdBuilder b;
    REQUIRE(b.add({.id = 1, .priority = 0, .sel = {.src = prefix("10.8.0.0/16"), .dst = prefix("10.9.0.0/16")},
                   .action = policy::PolicyAction::Protect, .saIndex = 0},
                  error));
    REQUIRE(b.add({.id = 2, .priority = 5, .sel = {.src = prefix("10.7.0.0/16"), .dst = prefix("0.0.0.0/0")},
                   .action = policy::PolicyAction::Bypass},
                  error));
    t.spd = b.build(error);
    REQUIRE(t.spd);
  }

  // The SPI of the outbound SA the SPD picks for this flow, 0 for none or
  // not PROTECT.
  uint32_t outboundSpiFor(const char* src, const char* dst) const {
    const policy::Policy* p = t.spd->lookup(flow(src, dst));
    if (!p || p->action != policy::PolicyAction::Protect || p->saIndex >= t.outbound.size() || !t.outbound[p->saIndex])
      return 0;
    return t.outbound[p->saIndex]->spi();
  }
  // The SPI of the inbound SA the SAD finds for `spi`, 0 when none.
  uint32_t inboundSpiFor(uint32_t spi) const {
    const uint32_t i = t.sad->lookup(policy::SadKey::make(spi, kLocal));
    return i == policy::Sad::kNotFound || i >= t.inbound.size() || !t.inbound[i].sa ? 0 : t.inbound[i].sa->spi();
  }
  const InboundSa* inbound(uint32_t spi) const {
    const uint32_t i = t.sad->lookup(policy::SadKey::make(spi, kLocal));
    return i == policy::Sad::kNotFound ? nullptr : &t.inbound[i];
  }
  void checkManualUntouched() const {
    CHECK(outboundSpiFor("10.8.1.1", "10.9.1.1") == 0x100);
    CHECK(inboundSpiFor(0x200) == 0x200);
    const policy::Policy* bypass = t.spd->lookup(flow("10.7.1.1", "10.2.3.4"));
    REQUIRE(bypass);
    CHECK(bypass->action == policy::PolicyAction::Bypass);
  }
};

}  // namespace

TEST_CASE("child SAs: install, lookups, remove leaves the slots empty until reused", "[child-sa]") {
  Tables f("csa_basic");
  ChildSaTable table(f.t, *f.engine);
  std::string error;

  const bool ok = table.install(childUp(0xa1001, 0xb1001, {"10.0.1.0/24", "fd00:1::/64"}, {"10.0.2.0/24", "fd00:2::/64"}), error);
  INFO(error);
  REQUIRE(ok);
  REQUIRE(table.install(childUp(0xa2001, 0xb2001, {"10.0.1.0/24"}, {"10.0.3.0/24"}), error));
  CHECK(table.installed().size() == 2);
  f.checkManualUntouched();

  CHECK(f.outboundSpiFor("10.0.1.5", "10.0.2.7") == 0xb1001);
  CHECK(f.outboundSpiFor("fd00:1::5", "fd00:2::7") == 0xb1001);
  CHECK(f.outboundSpiFor("10.0.1.5", "10.0.3.7") == 0xb2001);
  CHECK(f.t.spd->lookup(flow("10.0.1.5", "10.0.4.7")) == nullptr);  // nothing negotiated for it
  CHECK(f.outboundSpiFor("10.0.2.7", "10.0.1.5") == 0);               // not the other direction
  CHECK(f.inboundSpiFor(0xa1001) == 0xa1001);
  CHECK(f.inboundSpiFor(0xa2001) == 0xa2001);
  // Inbound selectors run remote -> local (RFC 4301 5.2), one per family pair.
  const InboundSa* in1 = f.inbound(0xa1001);
  REQUIRE(in1);
  REQUIRE(in1->selectors.size() == 2);
  CHECK(in1->selectors[0].src == prefix("10.0.2.0/24"));
  CHECK(in1->selectors[0].dst == prefix("10.0.1.0/24"));
  CHECK(in1->selectors[1].src == prefix("fd00:2::/64"));
  // Outer tunnel MTU decided once for the new outbound SA.
  CHECK(f.t.outboundInnerMtu.size() == f.t.outbound.size());

  // Removing the first empties its slots and moves nothing: the second
  // keeps its indices (workers may hold them until a grace period passed).
  const uint32_t secondIn = f.t.sad->lookup(policy::SadKey::make(0xa2001, kLocal));
  f.t.inbound[f.t.sad->lookup(policy::SadKey::make(0xa1001, kLocal))].sa->counters().packets = 11;
  REQUIRE(table.remove(childDown(0xa1001, 0xb1001), error));
  CHECK(f.t.outbound.size() == 3);
  CHECK(f.t.inbound.size() == 3);
  CHECK(f.t.outboundInnerMtu.size() == 3);
  CHECK_FALSE(f.t.outbound[1]);
  CHECK_FALSE(f.t.inbound[1].sa);
  // No TableSync in this test: nothing else reads, so the slots are free at once.
  CHECK(f.t.freeOutbound == std::vector<uint32_t>{1});
  CHECK(f.t.freeInbound == std::vector<uint32_t>{1});
  CHECK(f.t.sad->lookup(policy::SadKey::make(0xa2001, kLocal)) == secondIn);
  CHECK(f.inboundSpiFor(0xa1001) == 0);
  CHECK(f.t.spd->lookup(flow("10.0.1.5", "10.0.2.7")) == nullptr);
  CHECK(f.outboundSpiFor("10.0.1.5", "10.0.3.7") == 0xb2001);
  CHECK(f.inboundSpiFor(0xa2001) == 0xa2001);
  f.checkManualUntouched();

  // Its counters survive for the stats file.
  REQUIRE(table.retired().size() == 2);
  CHECK(table.retired()[0].direction == esp::Direction::Inbound);
  CHECK(table.retired()[0].spi == 0xa1001);
  CHECK(table.retired()[0].counters.packets == 11);
  CHECK(table.retired()[0].transform == "aes128gcm16");
  CHECK(table.retired()[1].spi == 0xb1001);

  CHECK_FALSE(table.remove(childDown(0xa1001, 0xb1001), error));  // gone already
  CHECK(error.find("no installed CHILD_SA") != std::string::npos);

  // A new CHILD_SA takes the free slot.
  REQUIRE(table.install(childUp(0xa3001, 0xb3001, {"10.0.1.0/24"}, {"10.0.5.0/24"}), error));
  CHECK(f.t.outbound.size() == 3);
  CHECK(f.t.sad->lookup(policy::SadKey::make(0xa3001, kLocal)) == 1);
  CHECK(f.outboundSpiFor("10.0.1.5", "10.0.5.7") == 0xb3001);
  CHECK(f.t.freeOutbound.empty());

  table.removeAll();
  CHECK(table.installed().empty());
  CHECK(f.t.freeOutbound.size() == 2);
  CHECK(f.t.freeInbound.size() == 2);
  CHECK(f.t.outbound[0]);
  CHECK_FALSE(f.t.outbound[1]);
  CHECK_FALSE(f.t.outbound[2]);
  f.checkManualUntouched();
}

TEST_CASE("child SAs: a rekey moves the policies, the old SAs stay until deleted", "[child-sa]") {
  Tables f("csa_rekey");
  ChildSaTable table(f.t, *f.engine);
  std::string error;
  REQUIRE(table.install(childUp(0xa1001, 0xb1001, {"10.0.1.0/24"}, {"10.0.2.0/24"}), error));
  auto rekey = childUp(0xa3001, 0xb3001, {"10.0.1.0/24"}, {"10.0.2.0/24"});
  rekey.replacesInboundSpi = 0xa1001;
  REQUIRE(table.install(std::move(rekey), error));
  CHECK(f.outboundSpiFor("10.0.1.5", "10.0.2.7") == 0xb3001);
  CHECK(f.inboundSpiFor(0xa1001) == 0xa1001);  // in-flight packets on the old SA still decrypt
  CHECK(f.inboundSpiFor(0xa3001) == 0xa3001);
  REQUIRE(table.remove(childDown(0xa1001, 0xb1001), error));
  CHECK(f.outboundSpiFor("10.0.1.5", "10.0.2.7") == 0xb3001);
  CHECK(f.inboundSpiFor(0xa1001) == 0);
  CHECK(f.inboundSpiFor(0xa3001) == 0xa3001);
  f.checkManualUntouched();
}

TEST_CASE("child SAs: the responder of a rekey sends on the old SA until it is deleted", "[child-sa]") {
  Tables f("csa_rekey_r");
  ChildSaTable table(f.t, *f.engine);
  std::string error;
  REQUIRE(table.install(childUp(0xa1001, 0xb1001, {"10.0.1.0/24"}, {"10.0.2.0/24"}), error));
  auto rekey = childUp(0xa3001, 0xb3001, {"10.0.1.0/24"}, {"10.0.2.0/24"});
  rekey.replacesInboundSpi = 0xa1001;
  rekey.outboundAfterReplacedDown = true;
  REQUIRE(table.install(std::move(rekey), error));
  CHECK(f.inboundSpiFor(0xa3001) == 0xa3001);             // the peer may use the new SA at once
  CHECK(f.outboundSpiFor("10.0.1.5", "10.0.2.7") == 0xb1001);  // we wait for its Delete of the old one
  REQUIRE(table.remove(childDown(0xa1001, 0xb1001), error));
  CHECK(f.outboundSpiFor("10.0.1.5", "10.0.2.7") == 0xb3001);
  CHECK(f.inboundSpiFor(0xa1001) == 0);
  f.checkManualUntouched();
}

TEST_CASE("child SAs: simultaneous rekeys, the first installed deleted: the other keeps the policy", "[child-sa]") {
  // RFC 7296 2.8.1: both new SAs replace the same old one; the loser may be
  // the one that took the outbound policy.
  for (bool deferred : {false, true}) {
    INFO("second one as responder, outbound deferred: " << deferred);
    Tables f(deferred ? "csa_coll_d" : "csa_coll");
    ChildSaTable table(f.t, *f.engine);
    std::string error;
    REQUIRE(table.install(childUp(0xa1001, 0xb1001, {"10.0.1.0/24"}, {"10.0.2.0/24"}), error));
    auto ours = childUp(0xa3001, 0xb3001, {"10.0.1.0/24"}, {"10.0.2.0/24"});
    ours.replacesInboundSpi = 0xa1001;
    REQUIRE(table.install(std::move(ours), error));
    auto theirs = childUp(0xa4001, 0xb4001, {"10.0.1.0/24"}, {"10.0.2.0/24"});
    theirs.replacesInboundSpi = 0xa1001;
    theirs.outboundAfterReplacedDown = deferred;
    REQUIRE(table.install(std::move(theirs), error));
    CHECK(f.outboundSpiFor("10.0.1.5", "10.0.2.7") == 0xb3001);
    REQUIRE(table.remove(childDown(0xa3001, 0xb3001), error));  // ours lost
    CHECK(f.outboundSpiFor("10.0.1.5", "10.0.2.7") == 0xb4001);
    REQUIRE(table.remove(childDown(0xa1001, 0xb1001), error));  // the peer deletes the old one
    CHECK(f.outboundSpiFor("10.0.1.5", "10.0.2.7") == 0xb4001);
    CHECK(table.installed().size() == 1);
    f.checkManualUntouched();
  }
}

TEST_CASE("child SAs: a refused install leaves the tables as they were", "[child-sa]") {
  Tables f("csa_refuse");
  ChildSaTable table(f.t, *f.engine);
  std::string error;

  auto badKey = childUp(0xa1001, 0xb1001, {"10.0.1.0/24"}, {"10.0.2.0/24"});
  badKey.outbound.keymat = SecretBytes(std::vector<uint8_t>(7, 1));
  CHECK_FALSE(table.install(std::move(badKey), error));
  CHECK(error.find("outbound SA") != std::string::npos);

  auto noRoute = childUp(0xa1001, 0xb1001, {"10.0.1.0/24"}, {"10.0.2.0/24"});
  noRoute.outbound.remoteAddress = addr("203.0.113.9");
  CHECK_FALSE(table.install(std::move(noRoute), error));
  CHECK(error.find("no route") != std::string::npos);

  CHECK_FALSE(table.install(childUp(0xa1001, 0xb1001, {"10.0.1.0/24"}, {"fd00:2::/64"}), error));  // no family pair
  CHECK(error.find("traffic selectors") != std::string::npos);

  CHECK(table.installed().empty());
  CHECK(f.t.outbound.size() == 1);
  CHECK(f.t.inbound.size() == 1);
  CHECK(f.inboundSpiFor(0xa1001) == 0);
  CHECK(f.t.spd->policies().size() == 2);
  f.checkManualUntouched();

  REQUIRE(table.install(childUp(0xa1001, 0xb1001, {"10.0.1.0/24"}, {"10.0.2.0/24"}), error));
  CHECK_FALSE(table.install(childUp(0xa1001, 0xb4001, {"10.0.1.0/24"}, {"10.0.2.0/24"}), error));  // SPI in use
  CHECK(table.installed().size() == 1);
}

TEST_CASE("child SAs: traffic and soft lifetime feedback", "[child-sa]") {
  Tables f("csa_feedback");
  ChildSaTable table(f.t, *f.engine);
  std::string error;
  auto up = childUp(0xa1001, 0xb1001, {"10.0.1.0/24"}, {"10.0.2.0/24"});
  up.outbound.lifetime.softPackets = 2;
  REQUIRE(table.install(std::move(up), error));
  CHECK(table.trafficSeen().empty());
  f.t.inbound[f.t.sad->lookup(policy::SadKey::make(0xa1001, kLocal))].sa->counters().packets = 3;
  CHECK(table.trafficSeen() == std::vector<uint32_t>{0xa1001});
  CHECK(table.trafficSeen().empty());  // nothing new since

  CHECK(table.softExpired().empty());
  auto& out = *f.t.outbound[f.t.spd->lookup(flow("10.0.1.1", "10.0.2.1"))->saIndex];
  CHECK(out.lifetime().consume(100));
  CHECK(out.lifetime().consume(100));  // reaches the soft limit
  CHECK(table.softExpired() == std::vector<uint32_t>{0xa1001});
  CHECK(table.softExpired().empty());  // reported once
}
