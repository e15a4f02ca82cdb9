// IKE SA rekey (RFC 7296 1.3.2, 2.18) from either side and by rekey_time;
// simultaneous rekeys of a CHILD_SA (2.8.1) and of the IKE SA (2.8.2) with
// nonces forced to each outcome; rekeys colliding with deletes (2.25).
// After strongSwan's tests/suites/test_ike_rekey.c and test_child_rekey.c:
// messages passed by hand, state asserted after each.
#include "exchange_harness.hpp"

#include <set>

#include "ike/engine/ike_rekey_task.hpp"
#include "ike/wire/message_codec.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using namespace ipsecgw::ike::test;

namespace {
const std::vector<std::string> kIke{"aes128gcm16-prfsha256-x25519"};
const std::vector<std::string> kEsp{"aes128gcm16"};

Harness established(EngineHooks hi = {}, EngineHooks hr = {}) {
  Harness h(connection(kA, kB, kIke, kEsp), connection(kB, kA, kIke, kEsp), fastSettings(), std::move(hi),
            std::move(hr));
  h.start();
  h.settle();
  REQUIRE(Harness::state(*h.i) == "ESTABLISHED");
  REQUIRE(Harness::state(*h.r) == "ESTABLISHED");
  REQUIRE(eventsOf<ChildSaUp>(h.eventsI).size() == 1);
  h.eventsI.clear();
  h.eventsR.clear();
  return h;
}

Message decoded(const Datagram& d) {
  auto m = decodeMessage(d.bytes);
  REQUIRE(m);
  return std::move(*m);
}

// Delivers `ds` (taken from one engine) to `to`.
void deliver(Harness& h, Engine& to, const std::vector<Datagram>& ds) {
  for (const Datagram& d : ds) to.receive(Harness::flip(d), h.now);
  h.collect();
}

// One message from each end at once, each delivered to the other (I's to R
// first): requests that cross (RFC 7296 2.25), or the responses to them.
void cross(Harness& h) {
  auto fromI = h.i->takeOutgoing();
  auto fromR = h.r->takeOutgoing();
  REQUIRE(fromI.size() == 1);
  REQUIRE(fromR.size() == 1);
  deliver(h, *h.r, fromI);
  deliver(h, *h.i, fromR);
}

// The single established IKE SA of `e` that is not being replaced.
IkeSaInfo onlySa(const Engine& e) {
  auto sas = e.listSas();
  REQUIRE(sas.size() == 1);
  return sas[0];
}

// Both ends agree on the IKE SA and on the CHILD_SA's SPIs, mirrored.
void requireSameSas(const Harness& h) {
  IkeSaInfo a = onlySa(*h.i), b = onlySa(*h.r);
  CHECK(a.state == "ESTABLISHED");
  CHECK(a.spiI == b.spiI);
  CHECK(a.spiR == b.spiR);
  CHECK(a.initiator != b.initiator);
  REQUIRE(a.children.size() == 1);
  REQUIRE(b.children.size() == 1);
  CHECK(a.children[0].inboundSpi == b.children[0].outboundSpi);
  CHECK(a.children[0].outboundSpi == b.children[0].inboundSpi);
}

// Proves the IKE SA works after all: a CHILD_SA rekey over it from `e`'s side.
void childRekeyWorks(Harness& h, bool fromI) {
  std::string error;
  const size_t upsBefore = eventsOf<ChildSaUp>(h.eventsI).size();
  REQUIRE((fromI ? *h.i : *h.r).rekeyChild("site", "lan", h.now, error));
  h.settle();
  CHECK(eventsOf<ChildSaUp>(h.eventsI).size() == upsBefore + 1);
  requireSameSas(h);
}
}  // namespace

TEST_CASE("IKE SA rekey from either side: new SPIs and keys, children move over untouched", "[ike][engine][rekey]") {
  const bool fromI = GENERATE(true, false);
  Harness h = established();
  const IkeSaInfo before = onlySa(*h.i);
  Engine& rekeyer = fromI ? *h.i : *h.r;
  Engine& peer = fromI ? *h.r : *h.i;
  auto& peerEvents = fromI ? h.eventsR : h.eventsI;
  std::string error;
  CHECK_FALSE(rekeyer.rekeyIke("nope", h.now, error));
  REQUIRE(rekeyer.rekeyIke("site", h.now, error));

  // HDR, SK {SA (IKE, SPIi), Ni, KEi} on the old SA.
  auto request = rekeyer.takeOutgoing();
  REQUIRE(request.size() == 1);
  {
    Message m = decoded(request[0]);
    CHECK(m.header.exchangeType == ExchangeType::CreateChildSa);
    CHECK(m.header.spiI == before.spiI);
  }
  deliver(h, peer, request);
  // The peer has the new SA with the children, and the old one until it is deleted.
  REQUIRE(peer.listSas().size() == 2);
  auto response = peer.takeOutgoing();
  REQUIRE(response.size() == 1);
  CHECK(decoded(response[0]).find(PayloadType::SK));
  REQUIRE(eventsOf<IkeSaUp>(peerEvents).size() == 1);
  CHECK(eventsOf<ChildSaUp>(peerEvents).empty());
  CHECK(eventsOf<ChildSaDown>(peerEvents).empty());

  deliver(h, rekeyer, response);
  // The rekeyer moved the children and deletes the old SA: INFORMATIONAL on it.
  auto del = rekeyer.takeOutgoing();
  REQUIRE(del.size() == 1);
  {
    auto hdr = decodeHeader(del[0].bytes);
    REQUIRE(hdr);
    CHECK(hdr->exchangeType == ExchangeType::Informational);
    CHECK(hdr->spiI == before.spiI);
  }
  deliver(h, peer, del);
  h.settle();

  requireSameSas(h);
  const IkeSaInfo after = onlySa(*h.i);
  CHECK(after.spiI != before.spiI);
  CHECK(after.spiR != before.spiR);
  CHECK(after.initiator == fromI);  // 2.18: the rekey initiator is the new SA's original initiator
  CHECK(after.proposal == before.proposal);
  CHECK(after.children[0].inboundSpi == before.children[0].inboundSpi);  // same CHILD_SA, still installed
  for (auto* events : {&h.eventsI, &h.eventsR}) {
    CHECK(eventsOf<ChildSaUp>(*events).empty());
    CHECK(eventsOf<ChildSaDown>(*events).empty());
    REQUIRE(eventsOf<IkeSaDown>(*events).size() == 1);
    CHECK(eventsOf<IkeSaDown>(*events)[0]->reason == "rekeyed");
    CHECK(eventsOf<IkeSaDown>(*events)[0]->ikeSaId != eventsOf<IkeSaUp>(*events)[0]->ikeSaId);
  }
  CHECK(Harness::counter(rekeyer, "ike-rekeyed") == 1);

  // The new SA carries exchanges (its message IDs start at 0) and can be rekeyed again.
  childRekeyWorks(h, !fromI);
  REQUIRE(rekeyer.rekeyIke("site", h.now, error));
  h.settle();
  requireSameSas(h);
  CHECK(onlySa(*h.i).spiI != after.spiI);
  // Deleting the twice-rekeyed IKE SA takes the children down on both sides.
  REQUIRE(peer.terminate("site", h.now, error));
  h.settle();
  CHECK(Harness::state(*h.i) == "NONE");
  CHECK(Harness::state(*h.r) == "NONE");
  CHECK(eventsOf<ChildSaDown>(h.eventsI).size() == 2);  // the first child (rekeyed) and its successor
  CHECK(eventsOf<ChildSaDown>(h.eventsR).size() == 2);
}

TEST_CASE("IKE SA rekey by rekey_time, up to 10 % early", "[ike][engine][rekey]") {
  Harness h = established();  // rekey_time 14400 s; CHILD_SA rekey_time 3600 s
  const uint64_t spiI = onlySa(*h.i).spiI;
  // Children rekey every hour meanwhile; the IKE SA only after 12960 s.
  for (int k = 0; k < 3; ++k) {
    h.now += 3600 * 1000;
    h.i->tick(h.now);
    h.r->tick(h.now);
    h.settle();
  }
  h.now = h.now - 3 * 3600 * 1000 + 12960 * 1000 - 1;
  h.i->tick(h.now);
  h.r->tick(h.now);
  h.settle();
  CHECK(onlySa(*h.i).spiI == spiI);
  h.now += 1440 * 1000 + 1;
  h.i->tick(h.now);
  h.r->tick(h.now);
  h.settle();
  h.i->tick(h.now);
  h.r->tick(h.now);
  h.settle();
  requireSameSas(h);
  CHECK(onlySa(*h.i).spiI != spiI);
  CHECK(Harness::counter(*h.i, "ike-rekeyed") + Harness::counter(*h.r, "ike-rekeyed") >= 1);
}

TEST_CASE("simultaneous IKE SA rekey: the SA with the lowest nonce is deleted by its initiator", "[ike][engine][rekey]") {
  // iLowest: the initiator's nonces are all lower than the responder's, and
  // of its two the Ni of its own exchange (drawn first) is the lower: its
  // exchange holds the lowest of the four, its new SA is the redundant one.
  const bool iLowest = GENERATE(true, false);
  Harness h = established(noncesStartingWith(iLowest ? 0x10 : 0x90), noncesStartingWith(iLowest ? 0x90 : 0x10));
  const IkeSaInfo before = onlySa(*h.i);
  std::string error;
  REQUIRE(h.i->rekeyIke("site", h.now, error));
  REQUIRE(h.r->rekeyIke("site", h.now, error));
  // The requests cross: each answers the other's while its own is out.
  cross(h);
  CHECK(h.i->listSas().size() == 2);
  CHECK(h.r->listSas().size() == 2);
  // Until its own response arrives nobody moves the children.
  for (const IkeSaInfo& s : h.i->listSas())
    if (s.spiI == before.spiI) CHECK(s.children.size() == 1);
  cross(h);  // the responses
  CHECK(h.i->listSas().size() == 3);
  CHECK(h.r->listSas().size() == 3);
  h.settle();

  requireSameSas(h);
  const IkeSaInfo survivor = onlySa(*h.i);
  // The survivor is the SA of the other side's exchange.
  CHECK(survivor.initiator == !iLowest);
  CHECK(survivor.spiI != before.spiI);
  CHECK(survivor.children[0].inboundSpi == before.children[0].inboundSpi);
  CHECK(Harness::counter(iLowest ? *h.i : *h.r, "rekey-collision-lost") == 1);
  CHECK(Harness::counter(iLowest ? *h.r : *h.i, "rekey-collision-lost") == 0);
  for (auto* events : {&h.eventsI, &h.eventsR}) {
    CHECK(eventsOf<ChildSaUp>(*events).empty());
    CHECK(eventsOf<ChildSaDown>(*events).empty());  // no traffic loss
    CHECK(eventsOf<IkeSaUp>(*events).size() == 2);
    CHECK(eventsOf<IkeSaDown>(*events).size() == 2);  // the old one and the redundant one
  }
  childRekeyWorks(h, true);
}

TEST_CASE("simultaneous CHILD_SA rekey: the lowest nonce's SA is deleted, the other survives", "[ike][engine][rekey]") {
  const bool iLowest = GENERATE(true, false);
  Harness h = established(noncesStartingWith(iLowest ? 0x10 : 0x90), noncesStartingWith(iLowest ? 0x90 : 0x10));
  const ChildSaInfo old = onlySa(*h.i).children[0];
  std::string error;
  REQUIRE(h.i->rekeyChild("site", "lan", h.now, error));
  REQUIRE(h.r->rekeyChild("site", "lan", h.now, error));
  cross(h);  // R answers A (I's rekey): SA_A; I answers B (R's rekey): SA_B
  cross(h);  // the responses
  // Three CHILD_SAs on each side for a moment: the old one and two new.
  CHECK(onlySa(*h.i).children.size() == 3);
  CHECK(onlySa(*h.r).children.size() == 3);
  auto upI = eventsOf<ChildSaUp>(h.eventsI);
  auto upR = eventsOf<ChildSaUp>(h.eventsR);
  REQUIRE(upI.size() == 2);
  REQUIRE(upR.size() == 2);
  // I answered B before its own A completed: upI[0] is SA_B, upI[1] SA_A.
  const uint32_t saBonI = upI[0]->inbound.spi, saAonI = upI[1]->inbound.spi;
  CHECK(upI[0]->replacesInboundSpi == old.inboundSpi);
  CHECK(upI[1]->replacesInboundSpi == old.inboundSpi);
  h.settle();

  requireSameSas(h);
  const ChildSaInfo survivor = onlySa(*h.i).children[0];
  CHECK(survivor.inboundSpi == (iLowest ? saBonI : saAonI));
  // ChildSaDown for the old SA and the redundant one only.
  auto downI = eventsOf<ChildSaDown>(h.eventsI);
  REQUIRE(downI.size() == 2);
  std::set<uint32_t> gone{downI[0]->inboundSpi, downI[1]->inboundSpi};
  CHECK(gone == std::set<uint32_t>{old.inboundSpi, iLowest ? saAonI : saBonI});
  CHECK(eventsOf<ChildSaDown>(h.eventsR).size() == 2);
  CHECK(Harness::counter(iLowest ? *h.i : *h.r, "rekey-collision-lost") == 1);
  CHECK(Harness::counter(iLowest ? *h.r : *h.i, "rekey-collision-lost") == 0);
}

TEST_CASE("a CHILD_SA rekey colliding with its delete: the delete wins", "[ike][engine][rekey]") {
  Harness h = established();
  std::string error;
  REQUIRE(h.i->rekeyChild("site", "lan", h.now, error));
  REQUIRE(h.r->terminateChild("site", "lan", h.now, error));
  auto rekey = h.i->takeOutgoing();
  auto del = h.r->takeOutgoing();
  deliver(h, *h.r, rekey);  // R is deleting it: TEMPORARY_FAILURE (2.25.1)
  deliver(h, *h.i, del);    // I answers the Delete as usual
  CHECK(Harness::counter(*h.r, "rekey-refused-busy") == 1);
  CHECK(eventsOf<ChildSaDown>(h.eventsI).size() == 1);
  h.settle();
  CHECK(onlySa(*h.i).children.empty());
  CHECK(onlySa(*h.r).children.empty());
  CHECK(eventsOf<ChildSaUp>(h.eventsI).empty());
  CHECK(eventsOf<ChildSaUp>(h.eventsR).empty());
  CHECK(eventsOf<ChildSaDown>(h.eventsR).size() == 1);
  // The refused rekey is not retried for a child that is gone.
  h.now += 20'000;
  h.i->tick(h.now);
  CHECK(h.i->takeOutgoing().empty());
}

TEST_CASE("a CHILD_SA rekey answered after the peer deleted the child: the new SA goes too", "[ike][engine][rekey]") {
  Harness h = established();
  std::string error;
  REQUIRE(h.i->rekeyChild("site", "lan", h.now, error));
  deliver(h, *h.r, h.i->takeOutgoing());  // R creates the new SA and answers...
  auto response = h.r->takeOutgoing();
  REQUIRE(response.size() == 1);
  // ...then deletes the child's SAs (operator): the old one first.
  REQUIRE(h.r->terminateChild("site", "lan", h.now, error));
  auto del = h.r->takeOutgoing();
  REQUIRE(del.size() == 1);
  deliver(h, *h.i, del);  // reaches I before the rekey response
  CHECK(onlySa(*h.i).children.empty());
  deliver(h, *h.r, h.i->takeOutgoing());  // I's answer to the Delete
  deliver(h, *h.i, response);
  // I installs the new SA, finds its predecessor gone and deletes it too (2.25.1).
  REQUIRE(eventsOf<ChildSaUp>(h.eventsI).size() == 1);
  auto out = h.i->takeOutgoing();
  REQUIRE(out.size() == 1);
  CHECK(decoded(out[0]).header.exchangeType == ExchangeType::Informational);
  deliver(h, *h.r, out);
  h.settle();
  CHECK(onlySa(*h.i).children.empty());
  CHECK(onlySa(*h.r).children.empty());
  CHECK(eventsOf<ChildSaDown>(h.eventsI).size() == 2);
  CHECK(eventsOf<ChildSaDown>(h.eventsR).size() == 2);
}

TEST_CASE("an IKE SA rekey colliding with its delete: the delete wins", "[ike][engine][rekey]") {
  Harness h = established();
  std::string error;
  REQUIRE(h.i->rekeyIke("site", h.now, error));
  REQUIRE(h.r->terminate("site", h.now, error));
  auto rekey = h.i->takeOutgoing();
  auto del = h.r->takeOutgoing();
  deliver(h, *h.r, rekey);
  CHECK(Harness::counter(*h.r, "rekey-refused-busy") == 1);
  CHECK(h.r->listSas().size() == 1);  // no new IKE SA
  deliver(h, *h.i, del);
  h.settle();
  CHECK(Harness::state(*h.i) == "NONE");
  CHECK(Harness::state(*h.r) == "NONE");
  CHECK(eventsOf<IkeSaUp>(h.eventsI).empty());
  CHECK(eventsOf<ChildSaDown>(h.eventsI).size() == 1);
}

TEST_CASE("an IKE SA rekey request while our CHILD_SA exchange is open: TEMPORARY_FAILURE, retried later",
          "[ike][engine][rekey]") {
  Harness h = established();
  std::string error;
  REQUIRE(h.i->rekeyIke("site", h.now, error));
  REQUIRE(h.r->rekeyChild("site", "lan", h.now, error));
  auto ikeRekey = h.i->takeOutgoing();
  auto childRekey = h.r->takeOutgoing();
  deliver(h, *h.r, ikeRekey);  // R's CHILD_SA rekey is open
  CHECK(Harness::counter(*h.r, "rekey-refused-busy") == 1);
  deliver(h, *h.i, childRekey);
  h.settle();
  const uint64_t spiI = onlySa(*h.i).spiI;
  requireSameSas(h);
  // 2.25: I tries again after a while, and then it works.
  h.now += kRekeyRetryMs;
  h.i->tick(h.now);
  h.settle();
  requireSameSas(h);
  CHECK(onlySa(*h.i).spiI != spiI);
}

TEST_CASE("a rekeyed IKE SA whose Delete never comes is deleted by the responder", "[ike][engine][rekey]") {
  Harness h = established();
  std::string error;
  REQUIRE(h.i->rekeyIke("site", h.now, error));
  h.iToR();
  h.rToI();
  h.i->takeOutgoing();  // the Delete of the old SA is lost, and I gives up on it
  CHECK(h.r->listSas().size() == 2);
  h.now += 31'000;
  h.r->tick(h.now);
  h.settle();
  CHECK(h.r->listSas().size() == 1);
  CHECK(onlySa(*h.r).children.size() == 1);
}

TEST_CASE("simultaneous IKE SA rekey, our response lost: the peer's Delete of the old SA hands the children over",
          "[ike][engine][rekey]") {
  // I's nonces are lower, its Ni of A the lowest: R's exchange (B) wins and
  // R deletes the old SA.
  Harness h = established(noncesStartingWith(0x10), noncesStartingWith(0x90));
  const IkeSaInfo before = onlySa(*h.i);
  std::string error;
  REQUIRE(h.i->rekeyIke("site", h.now, error));
  REQUIRE(h.r->rekeyIke("site", h.now, error));
  cross(h);
  auto responseToI = h.r->takeOutgoing();  // lost
  REQUIRE(responseToI.size() == 1);
  deliver(h, *h.r, h.i->takeOutgoing());  // B completes at R: R wins and deletes the old SA
  auto del = h.r->takeOutgoing();
  REQUIRE(del.size() == 1);
  deliver(h, *h.i, del);
  h.settle();
  CHECK(eventsOf<ChildSaDown>(h.eventsI).empty());
  for (const IkeSaInfo& s : h.i->listSas()) CHECK(s.spiI != before.spiI);
  bool found = false;
  for (const IkeSaInfo& s : h.i->listSas())
    if (!s.children.empty()) {
      found = true;
      CHECK_FALSE(s.initiator);  // B's SA, R initiated it
      CHECK(s.children[0].inboundSpi == before.children[0].inboundSpi);
    }
  CHECK(found);
}
