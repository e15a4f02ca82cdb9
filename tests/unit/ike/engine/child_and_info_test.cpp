// Traffic selector narrowing (RFC 7296 2.9), further CHILD_SAs by
// CREATE_CHILD_SA, deletes from either side (1.4.1), retransmission and the
// response cache (2.1), and hostile datagrams.
#include "exchange_harness.hpp"

#include <fstream>
#include <random>

#include "ike/wire/message_codec.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using namespace ipsecgw::ike::test;

namespace {
const std::vector<std::string> kIke{"aes128gcm16-prfsha256-x25519"};
const std::vector<std::string> kEsp{"aes128gcm16"};

Harness established() {
  Harness h(connection(kA, kB, kIke, kEsp), connection(kB, kA, kIke, kEsp));
  h.start();
  h.settle();
  REQUIRE(Harness::state(*h.i) == "ESTABLISHED");
  REQUIRE(Harness::state(*h.r) == "ESTABLISHED");
  REQUIRE(eventsOf<ChildSaUp>(h.eventsI).size() == 1);
  return h;
}

// The CHILD_SA up events of both ends: `n` on each, the k-th of I the mirror
// of the k-th of R.
using ChildUps = std::vector<const ChildSaUp*>;
std::pair<ChildUps, ChildUps> mirroredChildUps(const Harness& h, size_t n) {
  ChildUps upI = eventsOf<ChildSaUp>(h.eventsI);
  ChildUps upR = eventsOf<ChildSaUp>(h.eventsR);
  REQUIRE(upI.size() == n);
  REQUIRE(upR.size() == n);
  for (size_t k = 0; k < n; ++k) requireMirrored(*upI[k], *upR[k]);
  return {upI, upR};
}
}  // namespace

TEST_CASE("responder narrows the traffic selectors; the initiator accepts and reports them", "[ike][engine]") {
  auto b = connection(kB, kA, kIke, kEsp);
  b.children[0].localTs = {ts("10.0.1.0/25")};  // narrower than the 10.0.1.0/24 A asks for
  b.children[0].remoteTs = {ts("10.0.0.0/16")};  // wider: A's /24 stays
  Harness h(connection(kA, kB, kIke, kEsp), std::move(b));
  h.start();
  h.settle();
  auto [upI, upR] = mirroredChildUps(h, 1);
  REQUIRE(upI[0]->remoteTs.size() == 1);
  CHECK(upI[0]->remoteTs[0].src == prefix("10.0.1.0/25"));
  CHECK(upI[0]->localTs[0].src == prefix("10.0.0.0/24"));
  CHECK(upR[0]->localTs[0].src == prefix("10.0.1.0/25"));
  CHECK(upR[0]->remoteTs[0].src == prefix("10.0.0.0/24"));
}

TEST_CASE("traffic selectors without intersection: TS_UNACCEPTABLE, IKE SA stays up", "[ike][engine]") {
  auto b = connection(kB, kA, kIke, kEsp);
  b.children[0].localTs = {ts("10.9.0.0/24")};
  Harness h(connection(kA, kB, kIke, kEsp), std::move(b));
  h.start();
  h.iToR();
  h.rToI();
  h.iToR();
  auto out = h.r->takeOutgoing();
  REQUIRE(out.size() == 1);
  h.i->receive(Harness::flip(out[0]), h.now);
  h.collect();
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  CHECK(Harness::state(*h.r) == "ESTABLISHED");
  CHECK(eventsOf<ChildSaUp>(h.eventsI).empty());
  CHECK(eventsOf<ChildSaUp>(h.eventsR).empty());
  CHECK(Harness::counter(*h.r, "ts-unacceptable") == 1);
  CHECK(Harness::counter(*h.i, "ts-unacceptable") == 1);
  CHECK(h.i->listSas()[0].children.empty());
}

TEST_CASE("ESP proposals without a match: IKE SA up, no CHILD_SA", "[ike][engine]") {
  Harness h(connection(kA, kB, kIke, {"aes128gcm16"}), connection(kB, kA, kIke, {"chacha20poly1305"}));
  h.start();
  h.settle();
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  CHECK(Harness::state(*h.r) == "ESTABLISHED");
  CHECK(eventsOf<ChildSaUp>(h.eventsI).empty());
  CHECK(Harness::counter(*h.i, "child-failed") == 1);
}

TEST_CASE("further children come up by CREATE_CHILD_SA, with and without PFS", "[ike][engine]") {
  auto a = connection(kA, kB, kIke, kEsp);
  auto b = connection(kB, kA, kIke, kEsp);
  for (auto* c : {&a, &b}) {
    config::ChildConfig web = c->children[0];
    web.name = "web";
    web.localTs[0].proto = 6;
    web.espProposals = {"aes256gcm16-x25519"};  // PFS
    c->children.push_back(web);
    config::ChildConfig dns = c->children[0];
    dns.name = "dns";
    dns.localTs[0].proto = 17;
    dns.espProposals = {"chacha20poly1305-esn"};
    c->children.push_back(dns);
  }
  Harness h(std::move(a), std::move(b));
  h.start();  // every child of the connection
  h.iToR();
  h.rToI();
  h.iToR();
  h.rToI();  // IKE_AUTH response: "lan" up, CREATE_CHILD_SA for "web" goes out
  CHECK(eventsOf<ChildSaUp>(h.eventsI).size() == 1);
  auto out = h.i->takeOutgoing();
  REQUIRE(out.size() == 1);
  auto m = decodeMessage(out[0].bytes);
  REQUIRE(m);
  CHECK(m->header.exchangeType == ExchangeType::CreateChildSa);
  CHECK(m->header.messageId == 2);
  h.r->receive(Harness::flip(out[0]), h.now);
  h.settle();
  auto [upI, upR] = mirroredChildUps(h, 3);
  CHECK(upI[1]->child == "web");
  CHECK(upI[1]->inbound.transform == esp::Transform::AesGcm256);
  CHECK(upI[1]->localTs[0].proto == 6);
  CHECK(upI[2]->child == "dns");
  CHECK(upI[2]->inbound.esn);
  CHECK(upR[2]->outbound.esn);
  CHECK(h.i->listSas()[0].children.size() == 3);
  CHECK(h.r->listSas()[0].children.size() == 3);
  // Distinct SPIs and keys for each child.
  CHECK(upI[0]->inbound.spi != upI[1]->inbound.spi);
  CHECK_FALSE(sameKey(upI[0]->inbound.keymat, upI[1]->inbound.keymat));
}

TEST_CASE("initiating a child on an established IKE SA uses CREATE_CHILD_SA", "[ike][engine]") {
  Harness h = established();
  std::string error;
  CHECK_FALSE(h.i->initiate("nope", "", h.now, error));
  CHECK(error == "unknown connection");
  // "lan" is up already: nothing to do. Delete it, then ask again.
  REQUIRE(h.i->initiate("site", "lan", h.now, error));
  CHECK(h.i->takeOutgoing().empty());
  REQUIRE(h.i->terminateChild("site", "lan", h.now, error));
  h.settle();
  CHECK(h.i->listSas()[0].children.empty());
  REQUIRE(h.i->initiate("site", "lan", h.now, error));
  h.settle();
  CHECK(eventsOf<ChildSaUp>(h.eventsI).size() == 2);
  CHECK(h.r->listSas()[0].children.size() == 1);
}

TEST_CASE("delete a CHILD_SA from either side", "[ike][engine]") {
  const bool fromInitiator = GENERATE(true, false);
  Harness h = established();
  Engine& deleter = fromInitiator ? *h.i : *h.r;
  std::string error;
  CHECK_FALSE(deleter.terminateChild("site", "nope", h.now, error));
  REQUIRE(deleter.terminateChild("site", "lan", h.now, error));
  if (fromInitiator) {
    REQUIRE(h.iToR() == 1);
    CHECK(eventsOf<ChildSaDown>(h.eventsR).size() == 1);  // the peer removes at once
    REQUIRE(h.rToI() == 1);
  } else {
    REQUIRE(h.rToI() == 1);
    CHECK(eventsOf<ChildSaDown>(h.eventsI).size() == 1);
    REQUIRE(h.iToR() == 1);
  }
  auto downI = eventsOf<ChildSaDown>(h.eventsI);
  auto downR = eventsOf<ChildSaDown>(h.eventsR);
  REQUIRE(downI.size() == 1);
  REQUIRE(downR.size() == 1);
  auto upI = eventsOf<ChildSaUp>(h.eventsI)[0];
  CHECK(downI[0]->inboundSpi == upI->inbound.spi);
  CHECK(downI[0]->outboundSpi == upI->outbound.spi);
  CHECK(downR[0]->inboundSpi == upI->outbound.spi);
  CHECK(downI[0]->localAddress == addr("192.0.2.1"));
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  CHECK(Harness::state(*h.r) == "ESTABLISHED");
  CHECK(h.i->listSas()[0].children.empty());
  CHECK(h.r->listSas()[0].children.empty());
}

TEST_CASE("delete the IKE SA from either side", "[ike][engine]") {
  const bool fromInitiator = GENERATE(true, false);
  Harness h = established();
  Engine& deleter = fromInitiator ? *h.i : *h.r;
  std::string error;
  REQUIRE(deleter.terminate("site", h.now, error));
  CHECK(deleter.listSas()[0].state == "DELETING");
  h.settle();
  CHECK(Harness::state(*h.i) == "NONE");
  CHECK(Harness::state(*h.r) == "NONE");
  for (auto* events : {&h.eventsI, &h.eventsR}) {
    CHECK(eventsOf<ChildSaDown>(*events).size() == 1);
    REQUIRE(eventsOf<IkeSaDown>(*events).size() == 1);
  }
  CHECK(eventsOf<IkeSaDown>(fromInitiator ? h.eventsR : h.eventsI)[0]->reason == "deleted by peer");
  CHECK_FALSE(deleter.terminate("site", h.now, error));
}

TEST_CASE("liveness check: an empty INFORMATIONAL is answered", "[ike][engine]") {
  auto a = connection(kA, kB, kIke, kEsp);
  a.dpdDelayS = 10;
  Harness h(std::move(a), connection(kB, kA, kIke, kEsp));
  h.start();
  h.settle();
  h.now += 10'000;
  h.i->tick(h.now);
  auto out = h.i->takeOutgoing();
  REQUIRE(out.size() == 1);
  auto m = decodeMessage(out[0].bytes);
  REQUIRE(m);
  CHECK(m->header.exchangeType == ExchangeType::Informational);
  h.r->receive(Harness::flip(out[0]), h.now);
  REQUIRE(h.rToI() == 1);
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  // Silence from then on: retransmissions, then the peer is given up.
  h.now += 10'000;
  h.i->tick(h.now);
  h.i->takeOutgoing();
  for (int k = 0; k < 20; ++k) {
    h.now += 5'000;
    h.i->tick(h.now);
    h.i->takeOutgoing();
  }
  h.collect();
  CHECK(Harness::state(*h.i) == "NONE");
  REQUIRE(eventsOf<IkeSaDown>(h.eventsI).size() == 1);
  CHECK(eventsOf<IkeSaDown>(h.eventsI)[0]->reason == "peer unreachable");
  CHECK(eventsOf<ChildSaDown>(h.eventsI).size() == 1);
}

TEST_CASE("liveness check: none while ESP arrives on a CHILD_SA, one after dpd_delay of silence", "[ike][engine]") {
  // 2.4: "receipt of a fresh cryptographically protected message" proves
  // liveness; the data plane reports inbound traffic per CHILD_SA.
  auto a = connection(kA, kB, kIke, kEsp);
  a.dpdDelayS = 10;
  Harness h(std::move(a), connection(kB, kA, kIke, kEsp));
  h.start();
  h.settle();
  const auto ups = eventsOf<ChildSaUp>(h.eventsI);
  REQUIRE(ups.size() == 1);
  const uint32_t inbound = ups[0]->inbound.spi;
  for (int k = 0; k < 30; ++k) {  // 30 s of traffic, reported every second
    h.now += 1'000;
    h.i->childTrafficSeen(inbound, h.now);
    h.i->tick(h.now);
    CHECK(h.i->takeOutgoing().empty());
  }
  // Traffic on an SPI that is not ours proves nothing.
  for (int k = 0; k < 10; ++k) {
    h.now += 1'000;
    h.i->childTrafficSeen(inbound ^ 0x1, h.now);
    h.i->tick(h.now);
  }
  auto out = h.i->takeOutgoing();
  REQUIRE(out.size() == 1);
  auto m = decodeMessage(out[0].bytes);
  REQUIRE(m);
  CHECK(m->header.exchangeType == ExchangeType::Informational);
  CHECK(m->header.isInitiator());
}

TEST_CASE("a lost response: retransmission after the timeout, answered from the cache", "[ike][engine]") {
  Harness h(connection(kA, kB, kIke, kEsp), connection(kB, kA, kIke, kEsp));
  h.start();
  h.iToR();
  h.rToI();
  auto authRequest = h.i->takeOutgoing();
  REQUIRE(authRequest.size() == 1);
  h.r->receive(Harness::flip(authRequest[0]), h.now);
  auto lost = h.r->takeOutgoing();  // the IKE_AUTH response is lost
  REQUIRE(lost.size() == 1);
  h.collect();
  REQUIRE(eventsOf<ChildSaUp>(h.eventsR).size() == 1);
  // Not yet: 999 ms.
  h.now += 999;
  h.i->tick(h.now);
  CHECK(h.i->takeOutgoing().empty());
  h.now += 1;
  h.i->tick(h.now);
  auto again = h.i->takeOutgoing();
  REQUIRE(again.size() == 1);
  CHECK(again[0].bytes == authRequest[0].bytes);  // the same request, byte for byte
  CHECK(Harness::counter(*h.i, "retransmit-sent") == 1);
  h.r->receive(Harness::flip(again[0]), h.now);
  auto cached = h.r->takeOutgoing();
  REQUIRE(cached.size() == 1);
  CHECK(cached[0].bytes == lost[0].bytes);
  CHECK(Harness::counter(*h.r, "retransmit-answered") == 1);
  h.collect();
  CHECK(eventsOf<ChildSaUp>(h.eventsR).size() == 1);  // no second SA
  CHECK(h.r->listSas().size() == 1);
  h.i->receive(Harness::flip(cached[0]), h.now);
  h.collect();
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  requireMirrored(*eventsOf<ChildSaUp>(h.eventsI)[0], *eventsOf<ChildSaUp>(h.eventsR)[0]);
  // A late duplicate of the response is dropped and counted.
  h.i->receive(Harness::flip(cached[0]), h.now);
  CHECK(Harness::counter(*h.i, "unexpected-response") == 1);
  CHECK(h.i->takeOutgoing().empty());
}

TEST_CASE("a retransmitted IKE_SA_INIT gets the same response, not a second SA", "[ike][engine]") {
  Harness h(connection(kA, kB, kIke, kEsp), connection(kB, kA, kIke, kEsp));
  h.start();
  auto req = h.i->takeOutgoing();
  h.r->receive(Harness::flip(req[0]), h.now);
  auto first = h.r->takeOutgoing();
  h.r->receive(Harness::flip(req[0]), h.now);
  auto second = h.r->takeOutgoing();
  REQUIRE(first.size() == 1);
  REQUIRE(second.size() == 1);
  CHECK(first[0].bytes == second[0].bytes);
  CHECK(h.r->listSas().size() == 1);
}

TEST_CASE("retries exhausted: IkeSaDown 'peer unreachable'", "[ike][engine]") {
  Harness h(connection(kA, kB, kIke, kEsp), connection(kB, kA, kIke, kEsp));
  h.start();
  size_t sent = h.i->takeOutgoing().size();
  // 1 s, then x2: retransmissions at +1, +3, +7 s; given up at +15 s.
  for (uint64_t t = 0; t < 20; ++t) {
    h.now += 1000;
    h.i->tick(h.now);
    sent += h.i->takeOutgoing().size();
    h.collect();
    if (t == 13) CHECK(Harness::state(*h.i) == "CONNECTING");
  }
  CHECK(sent == 1 + 3);
  CHECK(Harness::state(*h.i) == "NONE");
  REQUIRE(eventsOf<IkeSaDown>(h.eventsI).size() == 1);
  CHECK(eventsOf<IkeSaDown>(h.eventsI)[0]->reason == "peer unreachable");
  CHECK(Harness::counter(*h.i, "peer-unreachable") == 1);
}

TEST_CASE("half-open responder SAs expire", "[ike][engine]") {
  Harness h(connection(kA, kB, kIke, kEsp), connection(kB, kA, kIke, kEsp));
  h.start();
  h.iToR();
  CHECK(h.r->listSas().size() == 1);
  h.now += 31'000;
  h.r->tick(h.now);
  h.collect();
  CHECK(h.r->listSas().empty());
  CHECK(h.eventsR.empty());
  CHECK(Harness::counter(*h.r, "half-open-expired") == 1);
}

TEST_CASE("garbage, truncated and bit-flipped datagrams never crash", "[ike][engine]") {
  std::mt19937 rng(7296);
  Harness h(connection(kA, kB, kIke, kEsp), connection(kB, kA, kIke, kEsp));
  h.start();
  // Record one valid exchange to mutate.
  std::vector<std::pair<bool, Datagram>> recorded;  // (to responder?, datagram)
  for (int k = 0; k < 10; ++k) {
    auto a = h.i->takeOutgoing();
    for (auto& d : a) {
      recorded.push_back({true, d});
      h.r->receive(Harness::flip(d), h.now);
    }
    auto b = h.r->takeOutgoing();
    for (auto& d : b) {
      recorded.push_back({false, d});
      h.i->receive(Harness::flip(d), h.now);
    }
    if (a.empty() && b.empty()) break;
  }
  h.collect();
  REQUIRE(Harness::state(*h.i) == "ESTABLISHED");
  REQUIRE(recorded.size() == 4);
  for (int round = 0; round < 3000; ++round) {
    auto& [toR, d] = recorded[rng() % recorded.size()];
    Datagram x = Harness::flip(d);
    switch (rng() % 4) {
      case 0:  // random bytes
        x.bytes.resize(rng() % 600);
        for (auto& b : x.bytes) b = static_cast<uint8_t>(rng());
        break;
      case 1:  // truncated
        x.bytes.resize(rng() % x.bytes.size());
        break;
      case 2:  // bit flips
        for (int f = 0; f < 1 + int(rng() % 4); ++f) x.bytes[rng() % x.bytes.size()] ^= uint8_t(1u << (rng() % 8));
        break;
      case 3:  // header kept, body random (passes the SPI lookup)
        for (size_t k = 28; k < x.bytes.size(); ++k) x.bytes[k] = static_cast<uint8_t>(rng());
        break;
    }
    (toR ? *h.r : *h.i).receive(std::move(x), h.now);
    h.i->takeOutgoing();
    h.r->takeOutgoing();
  }
  h.collect();
  // Nothing forged got through: the SAs are as they were.
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  CHECK(Harness::state(*h.r) != "NONE");
  CHECK(eventsOf<ChildSaDown>(h.eventsI).empty());
  CHECK(Harness::counter(*h.r, "bad-header") + Harness::counter(*h.r, "decrypt-failed") +
            Harness::counter(*h.r, "unknown-spi") + Harness::counter(*h.r, "message-id-out-of-window") > 0);
}

TEST_CASE("writes the fuzz seed when asked (IKE_ENGINE_SEED_DIR)", "[ike][engine]") {
  const char* dir = std::getenv("IKE_ENGINE_SEED_DIR");
  Harness h(connection(kA, kB, kIke, kEsp), connection(kB, kA, kIke, kEsp));
  h.start();
  auto out = h.i->takeOutgoing();
  REQUIRE(out.size() == 1);
  CHECK(decodeMessage(out[0].bytes));
  if (!dir) return;
  std::ofstream f(std::string(dir) + "/ike_sa_init_request.bin", std::ios::binary);
  f.write(reinterpret_cast<const char*>(out[0].bytes.data()), static_cast<std::streamsize>(out[0].bytes.size()));
  REQUIRE(f.good());
}

TEST_CASE("CHILD_SA rekey from either side: new SA replaces the old, which is then deleted", "[ike][engine]") {
  const bool fromInitiator = GENERATE(true, false);
  Harness h = established();
  const ChildSaUp& oldI = *eventsOf<ChildSaUp>(h.eventsI)[0];
  const uint32_t oldInI = oldI.inbound.spi, oldOutI = oldI.outbound.spi;
  Engine& rekeyer = fromInitiator ? *h.i : *h.r;
  // The data plane reports the soft lifetime of the rekeyer's inbound SA.
  rekeyer.childSoftExpired(fromInitiator ? oldInI : oldOutI, h.now);
  rekeyer.childSoftExpired(fromInitiator ? oldInI : oldOutI, h.now);  // once is enough
  auto out = rekeyer.takeOutgoing();
  REQUIRE(out.size() == 1);
  auto m = decodeMessage(out[0].bytes);
  REQUIRE(m);
  CHECK(m->header.exchangeType == ExchangeType::CreateChildSa);
  (fromInitiator ? *h.r : *h.i).receive(Harness::flip(out[0]), h.now);
  h.collect();
  // The peer has the new SA, and still the old one.
  CHECK((fromInitiator ? h.r : h.i)->listSas()[0].children.size() == 2);
  h.settle();
  auto [upI, upR] = mirroredChildUps(h, 2);
  CHECK(upI[1]->replacesInboundSpi == oldInI);
  CHECK(upR[1]->replacesInboundSpi == oldOutI);
  // Only the side that answered the rekey keeps sending on the old SA until
  // the rekeyer deletes it.
  CHECK(upI[1]->outboundAfterReplacedDown == !fromInitiator);
  CHECK(upR[1]->outboundAfterReplacedDown == fromInitiator);
  CHECK_FALSE(upI[0]->outboundAfterReplacedDown);
  CHECK(upI[1]->inbound.spi != oldInI);
  CHECK(upI[1]->child == "lan");
  CHECK(upI[1]->localTs[0].src == prefix("10.0.0.0/24"));
  auto downI = eventsOf<ChildSaDown>(h.eventsI);
  auto downR = eventsOf<ChildSaDown>(h.eventsR);
  REQUIRE(downI.size() == 1);
  REQUIRE(downR.size() == 1);
  CHECK(downI[0]->inboundSpi == oldInI);
  CHECK(downR[0]->inboundSpi == oldOutI);
  REQUIRE(h.i->listSas()[0].children.size() == 1);
  CHECK(h.i->listSas()[0].children[0].inboundSpi == upI[1]->inbound.spi);
  CHECK(h.r->listSas()[0].children.size() == 1);
}

TEST_CASE("CHILD_SA rekey by time (rekey_time, up to 10 % early)", "[ike][engine]") {
  Harness h = established();  // rekey_time 3600 s
  h.now += 3240 * 1000 - 1;   // before the earliest possible rekey
  h.i->tick(h.now);
  h.r->tick(h.now);
  CHECK(h.i->takeOutgoing().empty());
  CHECK(h.r->takeOutgoing().empty());
  h.now += 360 * 1000 + 1;
  h.i->tick(h.now);
  h.settle();
  h.r->tick(h.now);  // the responder's old child is gone: nothing of its own to rekey
  h.settle();
  CHECK(eventsOf<ChildSaUp>(h.eventsI).size() >= 2);
  CHECK(h.i->listSas()[0].children.size() == 1);
  CHECK(h.r->listSas()[0].children.size() == 1);
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
}

TEST_CASE("a replayed IKE_SA_INIT or IKE_AUTH after establishment changes nothing", "[ike][engine]") {
  Harness h(connection(kA, kB, kIke, kEsp), connection(kB, kA, kIke, kEsp));
  h.start();
  auto init = h.i->takeOutgoing();
  h.r->receive(Harness::flip(init[0]), h.now);
  h.rToI();
  auto auth = h.i->takeOutgoing();
  h.r->receive(Harness::flip(auth[0]), h.now);
  h.rToI();
  h.collect();
  REQUIRE(Harness::state(*h.r) == "ESTABLISHED");
  const auto before = h.r->listSas()[0];
  h.r->receive(Harness::flip(init[0]), h.now);  // too old for the window
  CHECK(h.r->takeOutgoing().empty());
  CHECK(Harness::counter(*h.r, "message-id-out-of-window") == 1);
  h.r->receive(Harness::flip(auth[0]), h.now);  // the last request: answered from the cache only
  CHECK(h.r->takeOutgoing().size() == 1);
  h.collect();
  CHECK(eventsOf<ChildSaUp>(h.eventsR).size() == 1);
  CHECK(h.r->listSas()[0].spiR == before.spiR);
  CHECK(h.r->listSas()[0].children.size() == 1);
  // A request for an unknown SPI is dropped and counted, and answered with
  // an unprotected INVALID_IKE_SPI, SPIs and message ID copied (2.21.4).
  Datagram stray = Harness::flip(auth[0]);
  stray.bytes[8] ^= 0xff;  // SPIr
  const auto strayHeader = decodeHeader(stray.bytes);
  REQUIRE(strayHeader);
  if (const char* dir = std::getenv("IKE_ENGINE_SEED_DIR")) {  // fuzz seed: answered with INVALID_IKE_SPI
    std::ofstream f(std::string(dir) + "/unknown_spi_request.bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(stray.bytes.data()), static_cast<std::streamsize>(stray.bytes.size()));
    REQUIRE(f.good());
  }
  h.r->receive(Datagram(stray), h.now);
  CHECK(Harness::counter(*h.r, "unknown-spi") == 1);
  auto answer = h.r->takeOutgoing();
  REQUIRE(answer.size() == 1);
  CHECK(answer[0].remote == stray.remote);
  auto m = decodeMessage(answer[0].bytes);
  REQUIRE(m);
  CHECK(m->header.spiI == strayHeader->spiI);
  CHECK(m->header.spiR == strayHeader->spiR);
  CHECK(m->header.messageId == strayHeader->messageId);
  CHECK(m->header.isResponse());
  CHECK_FALSE(m->header.isInitiator());
  CHECK_FALSE(m->find(PayloadType::SK));
  CHECK(m->findNotify(NotifyType::InvalidIkeSpi));
  // The initiator changes nothing on it (it is unprotected).
  h.i->receive(Harness::flip(answer[0]), h.now);
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  CHECK(h.i->takeOutgoing().empty());
  // A response for an unknown SPI is never answered, and answers are rate limited.
  Datagram strayResponse = Harness::flip(answer[0]);
  strayResponse.bytes[0] ^= 0xff;  // SPIi
  h.r->receive(std::move(strayResponse), h.now);
  CHECK(h.r->takeOutgoing().empty());
  for (int k = 0; k < 50; ++k) h.r->receive(Datagram(stray), h.now);
  CHECK(h.r->takeOutgoing().size() == 9);  // 10 a second
  CHECK(Harness::counter(*h.r, "unknown-spi-answered") == 10);
}

TEST_CASE("INITIAL_CONTACT replaces the peer's older IKE SA", "[ike][engine]") {
  Harness h = established();
  // The initiator restarts: a fresh engine with the same config, no memory.
  std::vector<config::ConnectionConfig> conns;
  conns.push_back(connection(kA, kB, kIke, kEsp));
  EnginePtr restarted = makeEngine(fastSettings(), std::move(conns));
  std::string error;
  REQUIRE(restarted->initiate("site", "", h.now, error));
  h.pass(*restarted, *h.r);  // IKE_SA_INIT
  h.pass(*h.r, *restarted);
  h.pass(*restarted, *h.r);  // IKE_AUTH with INITIAL_CONTACT
  CHECK(h.r->listSas().size() == 2);
  // The IKE_AUTH response goes to the new SA, a Delete to the stale one.
  auto out = h.r->takeOutgoing();
  REQUIRE(out.size() == 2);
  const uint64_t newSpiI = restarted->listSas()[0].spiI;
  for (const Datagram& d : out) {
    auto hdr = decodeHeader(d.bytes);
    REQUIRE(hdr);
    (hdr->spiI == newSpiI ? *restarted : *h.i).receive(Harness::flip(d), h.now);
  }
  CHECK(Harness::state(*restarted) == "ESTABLISHED");
  h.iToR();  // the old initiator answers the Delete
  h.collect();
  REQUIRE(h.r->listSas().size() == 1);
  CHECK(h.r->listSas()[0].spiI == restarted->listSas()[0].spiI);
  CHECK(eventsOf<IkeSaDown>(h.eventsR).size() == 1);
  CHECK(eventsOf<ChildSaUp>(h.eventsR).size() == 2);
  CHECK(eventsOf<ChildSaDown>(h.eventsR).size() == 1);
}
