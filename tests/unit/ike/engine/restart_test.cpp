// What the engine does by itself when a peer goes away (RFC 7296 2.4):
// dpd_action = restart re-initiates after a short delay, clear only removes;
// keyingtries counts initiation attempts that time out (0 = for ever), with
// back-off between them. Fake clock: tick() only, no sleeps.
#include "exchange_harness.hpp"

#include <set>

#include "ike/wire/message_codec.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using namespace ipsecgw::ike::test;

namespace {
const std::vector<std::string> kIke{"aes128gcm16-prfsha256-x25519"};
const std::vector<std::string> kEsp{"aes128gcm16"};

bool isInitRequest(const Datagram& d) {
  auto h = decodeHeader(d.bytes);
  return h && h->exchangeType == ExchangeType::IkeSaInit && !h->isResponse();
}

// Ticks `e` in 500 ms steps for `ms`, dropping what it sends; returns the
// IKE_SA_INIT requests among it with distinct SPIi (attempts, not retransmissions).
std::set<uint64_t> silence(Harness& h, Engine& e, uint64_t ms) {
  std::set<uint64_t> attempts;
  for (uint64_t t = 0; t < ms;) {
    const uint64_t step = std::min<uint64_t>(500, ms - t);
    t += step;
    h.now += step;
    e.tick(h.now);
    for (const Datagram& d : e.takeOutgoing())
      if (isInitRequest(d)) attempts.insert(decodeHeader(d.bytes)->spiI);
  }
  h.collect();
  return attempts;
}
}  // namespace

TEST_CASE("dead peer with dpd_action = restart: the engine re-initiates and the peer replaces its stale SA",
          "[ike][engine][dpd]") {
  auto a = connection(kA, kB, kIke, kEsp);
  a.dpdDelayS = 10;
  a.dpdAction = config::DpdAction::Restart;
  Harness h(std::move(a), connection(kB, kA, kIke, kEsp));
  h.start();
  h.settle();
  REQUIRE(Harness::state(*h.i) == "ESTABLISHED");
  const uint64_t oldSpiI = h.i->listSas()[0].spiI;
  // B goes silent: liveness check at +10 s, retransmissions, given up at +25 s.
  auto attempts = silence(h, *h.i, 25'000);
  CHECK(attempts.empty());
  REQUIRE(eventsOf<IkeSaDown>(h.eventsI).size() == 1);
  CHECK(eventsOf<IkeSaDown>(h.eventsI)[0]->reason == "peer unreachable");
  CHECK(eventsOf<ChildSaDown>(h.eventsI).size() == 1);
  CHECK(Harness::state(*h.i) == "NONE");
  // A short delay, then a fresh IKE_SA_INIT.
  h.now += 999;
  h.i->tick(h.now);
  CHECK(h.i->takeOutgoing().empty());
  h.now += 1;
  h.i->tick(h.now);
  CHECK(Harness::counter(*h.i, "restarted") == 1);
  CHECK(Harness::state(*h.i) == "CONNECTING");
  CHECK(h.i->listSas()[0].spiI != oldSpiI);
  // B is back (it never lost its SA): INITIAL_CONTACT replaces the stale
  // one, whose Delete A cannot answer (B gives up on it after 15 s).
  h.settle();
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  for (int k = 0; k < 40; ++k) {
    h.now += 500;
    h.i->tick(h.now);
    h.r->tick(h.now);
    h.settle();
  }
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  CHECK(Harness::state(*h.r) == "ESTABLISHED");
  CHECK(h.r->listSas()[0].spiI == h.i->listSas()[0].spiI);
  CHECK(eventsOf<ChildSaUp>(h.eventsI).size() == 2);
  CHECK(h.i->listSas()[0].children.size() == 1);
  CHECK(h.r->listSas()[0].children.size() == 1);
}

TEST_CASE("dead peer with dpd_action = clear: removed, nothing re-initiated", "[ike][engine][dpd]") {
  auto a = connection(kA, kB, kIke, kEsp);
  a.dpdDelayS = 10;
  a.dpdAction = config::DpdAction::Clear;
  a.keyingTries = 0;  // keyingtries is about initiations, not about dead peers
  Harness h(std::move(a), connection(kB, kA, kIke, kEsp));
  h.start();
  h.settle();
  REQUIRE(Harness::state(*h.i) == "ESTABLISHED");
  auto attempts = silence(h, *h.i, 120'000);
  CHECK(attempts.empty());
  CHECK(Harness::state(*h.i) == "NONE");
  CHECK(Harness::counter(*h.i, "restarted") == 0);
}

TEST_CASE("keyingtries: attempts that time out are repeated with back-off, then given up", "[ike][engine][dpd]") {
  auto a = connection(kA, kB, kIke, kEsp);
  a.keyingTries = 3;
  Harness h(std::move(a), connection(kB, kA, kIke, kEsp));
  h.start();
  auto first = h.i->takeOutgoing();
  REQUIRE(first.size() == 1);
  // Each attempt gives up after 15 s (1 + 2 + 4 + 8); the retries follow
  // after 1 s, then 2 s.
  std::set<uint64_t> attempts{decodeHeader(first[0].bytes)->spiI};
  attempts.merge(silence(h, *h.i, 15'999));
  CHECK(attempts.size() == 1);
  attempts.merge(silence(h, *h.i, 1));
  CHECK(attempts.size() == 2);  // the second attempt, at 16 s
  attempts.merge(silence(h, *h.i, 16'999));
  CHECK(attempts.size() == 2);
  attempts.merge(silence(h, *h.i, 1));
  CHECK(attempts.size() == 3);  // the third, at 33 s
  attempts.merge(silence(h, *h.i, 600'000));
  CHECK(attempts.size() == 3);  // three tries in all
  CHECK(Harness::state(*h.i) == "NONE");
  CHECK(eventsOf<IkeSaDown>(h.eventsI).size() == 3);
  CHECK(Harness::counter(*h.i, "restarted") == 2);
}

TEST_CASE("keyingtries = 0 tries for ever; a peer that comes back gets the tunnel up; terminate stops it",
          "[ike][engine][dpd]") {
  auto a = connection(kA, kB, kIke, kEsp);
  a.keyingTries = 0;
  Harness h(std::move(a), connection(kB, kA, kIke, kEsp));
  h.start();
  h.i->takeOutgoing();
  auto attempts = silence(h, *h.i, 600'000);
  CHECK(attempts.size() >= 8);  // back-off capped at 60 s
  // Up again at the next attempt.
  while (Harness::state(*h.i) != "ESTABLISHED" && h.now < 3'000'000'000) {
    h.now += 500;
    h.i->tick(h.now);
    h.settle();
  }
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  CHECK(eventsOf<ChildSaUp>(h.eventsI).size() == 1);
  // No attempts while it is up.
  std::string error;
  REQUIRE(h.i->terminate("site", h.now, error));
  h.settle();
  CHECK(silence(h, *h.i, 300'000).empty());
  CHECK(Harness::state(*h.i) == "NONE");
}

TEST_CASE("the initiator refusing the responder's AUTH tells it: INFORMATIONAL N(AUTHENTICATION_FAILED)",
          "[ike][engine]") {
  auto a = connection(kA, kB, kIke, kEsp);
  a.remoteId.value = "someone-else.example.net";  // B authenticates A, A refuses B's identity
  Harness h(std::move(a), connection(kB, kA, kIke, kEsp));
  h.start();
  h.iToR();
  h.rToI();
  h.iToR();
  CHECK(Harness::state(*h.r) == "ESTABLISHED");  // B is satisfied with A
  h.rToI();                                      // IKE_AUTH response: A's check fails
  CHECK(Harness::state(*h.i) == "NONE");
  CHECK(Harness::counter(*h.i, "id-mismatch") == 1);
  auto out = h.i->takeOutgoing();
  REQUIRE(out.size() == 1);
  auto hdr = decodeHeader(out[0].bytes);
  REQUIRE(hdr);
  CHECK(hdr->exchangeType == ExchangeType::Informational);
  CHECK(hdr->messageId == 2);
  h.r->receive(Harness::flip(out[0]), h.now);
  h.collect();
  CHECK(Harness::state(*h.r) == "NONE");
  REQUIRE(eventsOf<IkeSaDown>(h.eventsR).size() == 1);
  CHECK(eventsOf<IkeSaDown>(h.eventsR)[0]->reason == "AUTHENTICATION_FAILED");
  CHECK(eventsOf<ChildSaDown>(h.eventsR).size() == 1);
  // A waits for no answer: nothing is retransmitted.
  CHECK(silence(h, *h.i, 60'000).empty());
  CHECK(Harness::counter(*h.i, "retransmit-sent") == 0);
}

TEST_CASE("PFS CHILD_SA rekey: INVALID_KE_PAYLOAD is retried once with the responder's group", "[ike][engine]") {
  auto a = connection(kA, kB, kIke, {"aes128gcm16-x25519", "aes128gcm16-ecp256"});
  auto b = connection(kB, kA, kIke, {"aes128gcm16-ecp256"});
  Harness h(std::move(a), std::move(b));
  h.start();
  h.settle();
  REQUIRE(Harness::state(*h.i) == "ESTABLISHED");
  REQUIRE(h.i->listSas()[0].children.size() == 1);
  const uint32_t old = h.i->listSas()[0].children[0].inboundSpi;
  std::string error;
  REQUIRE(h.i->rekeyChild("site", "lan", h.now, error));
  REQUIRE(h.iToR() == 1);  // KEi x25519
  CHECK(Harness::counter(*h.r, "invalid-ke") == 1);
  REQUIRE(h.rToI() == 1);  // N(INVALID_KE_PAYLOAD, 19)
  auto retry = h.i->takeOutgoing();
  REQUIRE(retry.size() == 1);
  auto hdr = decodeHeader(retry[0].bytes);
  REQUIRE(hdr);
  CHECK(hdr->exchangeType == ExchangeType::CreateChildSa);
  h.r->receive(Harness::flip(retry[0]), h.now);
  h.settle();
  auto upI = eventsOf<ChildSaUp>(h.eventsI);
  auto upR = eventsOf<ChildSaUp>(h.eventsR);
  REQUIRE(upI.size() == 2);
  REQUIRE(upR.size() == 2);
  requireMirrored(*upI[1], *upR[1]);
  CHECK(upI[1]->replacesInboundSpi == old);
  REQUIRE(h.i->listSas()[0].children.size() == 1);
  CHECK(h.i->listSas()[0].children[0].inboundSpi == upI[1]->inbound.spi);
  CHECK(Harness::counter(*h.i, "invalid-ke") == 1);
}
