// IKE_SA_INIT + IKE_AUTH with the first CHILD_SA, message by message, for
// each suite the gateway offers; the ChildSaUp events of both ends must
// mirror each other, and the failures of RFC 7296 1.2/2.21 must end where
// the RFC says.
#include "exchange_harness.hpp"

#include "esp/transform.hpp"
#include "ike/wire/message_codec.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using namespace ipsecgw::ike::test;

namespace {

struct Suite {
  const char* ike;
  const char* esp;
  esp::Transform transform;
};

}  // namespace

TEST_CASE("IKE SA and first CHILD_SA for every suite, state after every message", "[ike][engine]") {
  Suite s = GENERATE(Suite{"aes128gcm16-prfsha256-x25519", "aes128gcm16", esp::Transform::AesGcm128},
                     Suite{"aes256gcm16-prfsha384-ecp384", "aes256gcm16", esp::Transform::AesGcm256},
                     Suite{"chacha20poly1305-prfsha256-x25519", "chacha20poly1305", esp::Transform::ChaCha20Poly1305},
                     Suite{"aes256-sha256-modp2048", "aes256-sha256", esp::Transform::AesCbc256HmacSha256});
  INFO(s.ike << " / " << s.esp);
  Harness h(connection(kA, kB, {s.ike}, {s.esp}), connection(kB, kA, {s.ike}, {s.esp}));
  h.start();
  CHECK(Harness::state(*h.i) == "CONNECTING");

  // IKE_SA_INIT request: plain, message ID 0, from port 500.
  auto out = h.i->takeOutgoing();
  REQUIRE(out.size() == 1);
  CHECK(out[0].local.port == 500);
  CHECK(out[0].remote.port == 500);
  auto init = decodeMessage(out[0].bytes);
  REQUIRE(init);
  CHECK(init->header.exchangeType == ExchangeType::IkeSaInit);
  CHECK(init->header.messageId == 0);
  CHECK(init->header.spiR == 0);
  CHECK(init->findNotify(NotifyType::NatDetectionSourceIp));
  CHECK(init->findNotify(NotifyType::NatDetectionDestinationIp));
  h.r->receive(Harness::flip(out[0]), h.now);
  CHECK(Harness::state(*h.r) == "CONNECTING");

  // IKE_SA_INIT response.
  REQUIRE(h.rToI() == 1);
  CHECK(Harness::state(*h.i) == "CONNECTING");
  CHECK(h.i->listSas()[0].spiR == h.r->listSas()[0].spiR);
  CHECK(h.i->listSas()[0].proposal == h.r->listSas()[0].proposal);
  CHECK_FALSE(h.i->listSas()[0].natDetected);

  // IKE_AUTH request: encrypted, message ID 1, still on 500 (no NAT).
  out = h.i->takeOutgoing();
  REQUIRE(out.size() == 1);
  CHECK(out[0].remote.port == 500);
  auto auth = decodeMessage(out[0].bytes);
  REQUIRE(auth);
  CHECK(auth->header.exchangeType == ExchangeType::IkeAuth);
  CHECK(auth->header.messageId == 1);
  CHECK(auth->find(PayloadType::SK));
  h.r->receive(Harness::flip(out[0]), h.now);
  h.collect();
  CHECK(Harness::state(*h.r) == "ESTABLISHED");
  REQUIRE(eventsOf<IkeSaUp>(h.eventsR).size() == 1);
  REQUIRE(eventsOf<ChildSaUp>(h.eventsR).size() == 1);
  CHECK(eventsOf<ChildSaUp>(h.eventsI).empty());

  // IKE_AUTH response.
  REQUIRE(h.rToI() == 1);
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  REQUIRE(eventsOf<IkeSaUp>(h.eventsI).size() == 1);
  auto upI = eventsOf<ChildSaUp>(h.eventsI);
  auto upR = eventsOf<ChildSaUp>(h.eventsR);
  REQUIRE(upI.size() == 1);
  requireMirrored(*upI[0], *upR[0]);
  CHECK(upI[0]->inbound.transform == s.transform);
  const auto& info = esp::transformInfo(s.transform);
  CHECK(upI[0]->inbound.keymat.size() == size_t(info.cipherKeyLen + info.saltLen + info.authKeyLen));
  CHECK(upI[0]->inbound.replayWindow == 256);
  CHECK_FALSE(upI[0]->inbound.udpEncap);
  CHECK(upI[0]->inbound.localAddress == addr("192.0.2.1"));
  CHECK(upI[0]->outbound.remoteAddress == addr("192.0.2.2"));
  REQUIRE(upI[0]->localTs.size() == 1);
  CHECK(upI[0]->localTs[0].src == prefix("10.0.0.0/24"));
  CHECK(upI[0]->remoteTs[0].src == prefix("10.0.1.0/24"));
  CHECK(h.i->listSas()[0].children.size() == 1);
  CHECK(h.r->listSas()[0].children.size() == 1);
  CHECK(h.i->listSas()[0].children[0].inboundSpi == h.r->listSas()[0].children[0].outboundSpi);
  // Nothing else is pending.
  CHECK(h.i->takeOutgoing().empty());
  CHECK(h.r->takeOutgoing().empty());
}

TEST_CASE("wrong PSK: AUTHENTICATION_FAILED, no CHILD_SA anywhere", "[ike][engine]") {
  Harness h(connection(kA, kB, {"aes128gcm16-prfsha256-x25519"}, {"aes128gcm16"}, "one secret"),
            connection(kB, kA, {"aes128gcm16-prfsha256-x25519"}, {"aes128gcm16"}, "another secret"));
  h.start();
  h.iToR();
  h.rToI();
  h.iToR();  // IKE_AUTH request: the responder refuses and forgets the SA
  CHECK(Harness::state(*h.r) == "NONE");
  CHECK(Harness::counter(*h.r, "auth-failed") == 1);
  auto out = h.r->takeOutgoing();
  REQUIRE(out.size() == 1);
  h.i->receive(Harness::flip(out[0]), h.now);
  h.collect();
  CHECK(Harness::state(*h.i) == "NONE");
  auto down = eventsOf<IkeSaDown>(h.eventsI);
  REQUIRE(down.size() == 1);
  CHECK(down[0]->reason == "AUTHENTICATION_FAILED");
  CHECK(eventsOf<ChildSaUp>(h.eventsI).empty());
  CHECK(eventsOf<ChildSaUp>(h.eventsR).empty());
  CHECK(eventsOf<IkeSaUp>(h.eventsR).empty());
}

TEST_CASE("wrong remote identity is refused like a wrong PSK", "[ike][engine]") {
  auto b = connection(kB, kA, {"aes128gcm16-prfsha256-x25519"}, {"aes128gcm16"});
  b.remoteId.value = "someone-else.example.net";
  Harness h(connection(kA, kB, {"aes128gcm16-prfsha256-x25519"}, {"aes128gcm16"}), std::move(b));
  h.start();
  h.settle();
  CHECK(Harness::state(*h.r) == "NONE");
  CHECK(Harness::state(*h.i) == "NONE");
  CHECK(Harness::counter(*h.r, "id-mismatch") == 1);
  REQUIRE(eventsOf<IkeSaDown>(h.eventsI).size() == 1);
  CHECK(eventsOf<IkeSaDown>(h.eventsI)[0]->reason == "AUTHENTICATION_FAILED");
}

TEST_CASE("%any remote identity accepts the peer", "[ike][engine]") {
  auto b = connection(kB, kA, {"aes128gcm16-prfsha256-x25519"}, {"aes128gcm16"});
  b.remoteId = {config::IdentityConfig::Type::Any, "%any"};
  Harness h(connection(kA, kB, {"aes128gcm16-prfsha256-x25519"}, {"aes128gcm16"}), std::move(b));
  h.start();
  h.settle();
  CHECK(Harness::state(*h.r) == "ESTABLISHED");
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
}

TEST_CASE("disjoint IKE proposals: NO_PROPOSAL_CHOSEN", "[ike][engine]") {
  Harness h(connection(kA, kB, {"aes128gcm16-prfsha256-x25519"}, {"aes128gcm16"}),
            connection(kB, kA, {"aes256-sha256-modp2048"}, {"aes128gcm16"}));
  h.start();
  REQUIRE(h.iToR() == 1);
  CHECK(Harness::state(*h.r) == "NONE");  // no state kept for a refusal
  auto out = h.r->takeOutgoing();
  REQUIRE(out.size() == 1);
  auto m = decodeMessage(out[0].bytes);
  REQUIRE(m);
  REQUIRE(m->findNotify(NotifyType::NoProposalChosen));
  h.i->receive(Harness::flip(out[0]), h.now);
  h.collect();
  CHECK(Harness::state(*h.i) == "NONE");
  REQUIRE(eventsOf<IkeSaDown>(h.eventsI).size() == 1);
  CHECK(eventsOf<IkeSaDown>(h.eventsI)[0]->reason == "NO_PROPOSAL_CHOSEN");
  CHECK(h.eventsR.empty());
}

TEST_CASE("responder prefers another group: INVALID_KE_PAYLOAD, then success", "[ike][engine]") {
  // The initiator's KE is for x25519 (its first group); the responder only
  // takes ecp256, which the initiator also offers.
  Harness h(connection(kA, kB, {"aes128gcm16-prfsha256-x25519-ecp256"}, {"aes128gcm16"}),
            connection(kB, kA, {"aes128gcm16-prfsha256-ecp256"}, {"aes128gcm16"}));
  h.start();
  REQUIRE(h.iToR() == 1);
  auto out = h.r->takeOutgoing();
  REQUIRE(out.size() == 1);
  auto m = decodeMessage(out[0].bytes);
  REQUIRE(m);
  const NotifyPayload* n = m->findNotify(NotifyType::InvalidKePayload);
  REQUIRE(n);
  CHECK(n->data == Bytes{0, 19});
  CHECK(Harness::state(*h.r) == "NONE");
  h.i->receive(Harness::flip(out[0]), h.now);
  // The retry: message ID 0 again, KE of group 19, same SPIi.
  out = h.i->takeOutgoing();
  REQUIRE(out.size() == 1);
  auto retry = decodeMessage(out[0].bytes);
  REQUIRE(retry);
  CHECK(retry->header.messageId == 0);
  CHECK(retry->header.spiI == m->header.spiI);
  REQUIRE(retry->get<KePayload>(PayloadType::KE));
  CHECK(retry->get<KePayload>(PayloadType::KE)->group == 19);
  h.r->receive(Harness::flip(out[0]), h.now);
  h.settle();
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  CHECK(Harness::state(*h.r) == "ESTABLISHED");
  CHECK(h.i->listSas()[0].proposal == "aes128gcm16-prfsha256-ecp256");
  REQUIRE(eventsOf<ChildSaUp>(h.eventsI).size() == 1);
  requireMirrored(*eventsOf<ChildSaUp>(h.eventsI)[0], *eventsOf<ChildSaUp>(h.eventsR)[0]);
}

TEST_CASE("forceEncap: both sides move to 4500 and UDP-encapsulate ESP", "[ike][engine]") {
  auto a = connection(kA, kB, {"aes128gcm16-prfsha256-x25519"}, {"aes128gcm16"});
  a.forceEncap = true;
  Harness h(std::move(a), connection(kB, kA, {"aes128gcm16-prfsha256-x25519"}, {"aes128gcm16"}));
  h.start();
  h.iToR();
  h.rToI();
  CHECK(h.i->listSas()[0].natDetected);
  auto out = h.i->takeOutgoing();
  REQUIRE(out.size() == 1);
  CHECK(out[0].local.port == 4500);
  CHECK(out[0].remote.port == 4500);
  h.r->receive(Harness::flip(out[0]), h.now);
  CHECK(h.r->listSas()[0].natDetected);  // the bogus source hash convinced it
  CHECK(h.r->listSas()[0].local.port == 4500);
  out = h.r->takeOutgoing();
  REQUIRE(out.size() == 1);
  CHECK(out[0].local.port == 4500);
  CHECK(out[0].remote.port == 4500);
  h.i->receive(Harness::flip(out[0]), h.now);
  h.collect();
  auto upI = eventsOf<ChildSaUp>(h.eventsI);
  auto upR = eventsOf<ChildSaUp>(h.eventsR);
  REQUIRE(upI.size() == 1);
  REQUIRE(upR.size() == 1);
  requireMirrored(*upI[0], *upR[0]);
  for (const ChildSaUp* up : {upI[0], upR[0]})
    for (const esp::SaConfig* c : {&up->inbound, &up->outbound}) {
      REQUIRE(c->udpEncap);
      CHECK(c->udpEncap->srcPort == 4500);
      CHECK(c->udpEncap->dstPort == 4500);
    }
}

TEST_CASE("a NAT that rewrites the initiator's source is detected", "[ike][engine]") {
  Harness h(connection(kA, kB, {"aes128gcm16-prfsha256-x25519"}, {"aes128gcm16"}),
            connection(kB, kA, {"aes128gcm16-prfsha256-x25519"}, {"aes128gcm16"}));
  h.start();
  // The NAT keeps the address (so the connection matches) but maps the port.
  auto out = h.i->takeOutgoing();
  Datagram d = Harness::flip(out[0]);
  d.remote.port = 31000;
  h.r->receive(std::move(d), h.now);
  CHECK(h.r->listSas()[0].natDetected);
  auto resp = h.r->takeOutgoing();
  REQUIRE(resp.size() == 1);
  CHECK(resp[0].remote.port == 31000);  // answered to where it came from
  Datagram back = Harness::flip(resp[0]);
  back.local.port = 500;  // the NAT maps it back
  h.i->receive(std::move(back), h.now);
  CHECK(h.i->listSas()[0].natDetected);
  out = h.i->takeOutgoing();
  REQUIRE(out.size() == 1);
  CHECK(out[0].remote.port == 4500);
}
