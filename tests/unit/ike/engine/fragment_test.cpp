// IKE fragmentation (RFC 7383) between two engines: the notify in
// IKE_SA_INIT (2.3), IKE_AUTH and later exchanges sent as SKF fragments that
// fit [ike] fragment_size (2.5), and reassembly (2.6) with fragments lost,
// reordered, duplicated, tampered with or left incomplete; retransmissions
// of a fragmented request and of its cached fragmented response (2.6.1).
#include "exchange_harness.hpp"

#include <algorithm>

#include "ike/engine/outgoing_message.hpp"
#include "ike/wire/message_codec.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using namespace ipsecgw::ike::test;

namespace {

const std::vector<std::string> kIke{"aes128gcm16-prfsha256-x25519"};
const std::vector<std::string> kEsp{"aes128gcm16"};
// Small enough that a PSK IKE_AUTH (about 200-250 bytes here) needs two or
// three (the engine does not check the config's lower bound).
constexpr uint32_t kFragmentSize = 180;
constexpr size_t kIpv4Udp = 20 + 8;

config::IkeSettings fragmentSettings() {
  config::IkeSettings s = fastSettings();
  s.fragmentSize = kFragmentSize;
  return s;
}

Harness harness(config::Fragmentation a = config::Fragmentation::Yes,
                config::Fragmentation b = config::Fragmentation::Yes) {
  auto ca = connection(kA, kB, kIke, kEsp);
  auto cb = connection(kB, kA, kIke, kEsp);
  ca.fragmentation = a;
  cb.fragmentation = b;
  return Harness(std::move(ca), std::move(cb), fragmentSettings());
}

Message decoded(const Datagram& d) {
  auto m = decodeMessage(d.bytes);
  REQUIRE(m);
  return std::move(*m);
}

const EncryptedPayload& skf(const Message& m) {
  REQUIRE(!m.payloads.empty());
  REQUIRE(m.payloads.back().type == PayloadType::SKF);
  const auto* e = std::get_if<EncryptedPayload>(&m.payloads.back().body);
  REQUIRE(e);
  return *e;
}

// Every datagram of `ds` is fragment k+1 of ds.size() of one message, and
// fits fragment_size as an IPv4/UDP datagram on port 500.
void requireFragmentSet(const std::vector<Datagram>& ds, ExchangeType exchange) {
  INFO("datagrams " << ds.size() << ", first " << (ds.empty() ? 0 : ds[0].bytes.size()) << " bytes");
  REQUIRE(ds.size() >= 2);
  const uint32_t id = decoded(ds[0]).header.messageId;
  for (size_t k = 0; k < ds.size(); ++k) {
    Message m = decoded(ds[k]);
    CHECK(m.header.exchangeType == exchange);
    CHECK(m.header.messageId == id);
    const EncryptedPayload& e = skf(m);
    CHECK(e.fragmentNumber == k + 1);
    CHECK(e.totalFragments == ds.size());
    // 2.5: only the first names the first inner payload.
    CHECK((e.firstInner != PayloadType::NoNext) == (k == 0));
    CHECK(ds[k].bytes.size() + kIpv4Udp <= kFragmentSize);
  }
}

void deliver(Harness& h, Engine& to, const std::vector<Datagram>& ds) {
  for (const Datagram& d : ds) to.receive(Harness::flip(d), h.now);
  h.collect();
}

// Runs IKE_SA_INIT; returns the initiator's IKE_AUTH request datagrams.
std::vector<Datagram> throughInit(Harness& h) {
  h.start();
  REQUIRE(h.iToR() == 1);
  REQUIRE(h.rToI() == 1);
  return h.i->takeOutgoing();
}

void requireEstablished(Harness& h) {
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  CHECK(Harness::state(*h.r) == "ESTABLISHED");
  auto upI = eventsOf<ChildSaUp>(h.eventsI);
  auto upR = eventsOf<ChildSaUp>(h.eventsR);
  REQUIRE(upI.size() == 1);
  REQUIRE(upR.size() == 1);
  requireMirrored(*upI[0], *upR[0]);
}

}  // namespace

TEST_CASE("fragment budget: an SKF datagram never exceeds fragment_size", "[ike][engine][fragmentation]") {
  // GCM: 8-byte IV, 16-byte ICV, no block alignment.
  CHECK(fragmentInnerBudget(256, false, false, 8, 16, 1) == 256 - 28 - 28 - 8 - 8 - 16 - 1);
  // NAT-T adds the non-ESP marker, IPv6 twenty more header bytes.
  CHECK(fragmentInnerBudget(256, false, true, 8, 16, 1) == 256 - 32 - 28 - 8 - 8 - 16 - 1);
  CHECK(fragmentInnerBudget(256, true, false, 8, 16, 1) == 256 - 48 - 28 - 8 - 8 - 16 - 1);
  // CBC: whole 16-byte blocks hold inner + padding + pad length.
  const size_t cbc = fragmentInnerBudget(300, false, false, 16, 16, 16);
  CHECK((cbc + 1) % 16 == 0);
  CHECK(28 + 28 + 8 + 16 + cbc + 1 + 16 <= 300);
  CHECK(28 + 28 + 8 + 16 + cbc + 1 + 16 + 16 > 300);
  CHECK(fragmentInnerBudget(100, true, true, 16, 16, 16) == 0);
}

TEST_CASE("both announce fragmentation: IKE_AUTH both ways in SKF fragments", "[ike][engine][fragmentation]") {
  Harness h = harness();
  h.start();
  auto initReq = h.i->takeOutgoing();
  REQUIRE(initReq.size() == 1);
  // 2.3: N(IKEV2_FRAGMENTATION_SUPPORTED) in both IKE_SA_INIT messages.
  CHECK(decoded(initReq[0]).findNotify(NotifyType::Ikev2FragmentationSupported));
  deliver(h, *h.r, initReq);
  auto initResp = h.r->takeOutgoing();
  REQUIRE(initResp.size() == 1);
  CHECK(decoded(initResp[0]).findNotify(NotifyType::Ikev2FragmentationSupported));
  deliver(h, *h.i, initResp);

  auto authReq = h.i->takeOutgoing();
  requireFragmentSet(authReq, ExchangeType::IkeAuth);
  CHECK(Harness::counter(*h.i, "fragments-sent") == authReq.size());
  // Nothing happens until the last fragment is in.
  deliver(h, *h.r, {authReq.begin(), authReq.end() - 1});
  CHECK(h.r->takeOutgoing().empty());
  CHECK(Harness::counter(*h.r, "fragments-received") == authReq.size() - 1);
  CHECK(Harness::state(*h.r) == "CONNECTING");
  deliver(h, *h.r, {authReq.back()});
  CHECK(Harness::counter(*h.r, "fragments-reassembled") == 1);

  auto authResp = h.r->takeOutgoing();
  requireFragmentSet(authResp, ExchangeType::IkeAuth);
  deliver(h, *h.i, authResp);
  CHECK(Harness::counter(*h.i, "fragments-reassembled") == 1);
  requireEstablished(h);

  // Later exchanges too: a CHILD_SA rekey (KE-less but with SA, Ni, TS) is
  // above 256 bytes as well.
  std::string error;
  REQUIRE(h.i->rekeyChild("site", "lan", h.now, error));
  auto rekeyReq = h.i->takeOutgoing();
  requireFragmentSet(rekeyReq, ExchangeType::CreateChildSa);
  deliver(h, *h.r, rekeyReq);
  h.settle();
  CHECK(eventsOf<ChildSaUp>(h.eventsI).size() == 2);
  CHECK(eventsOf<ChildSaUp>(h.eventsR).size() == 2);
  CHECK(Harness::counter(*h.r, "fragments-reassembled") == 2);
  CHECK(Harness::counter(*h.r, "fragment-unsupported") == 0);
}

TEST_CASE("fragments out of order, duplicated: reassembled once", "[ike][engine][fragmentation]") {
  Harness h = harness();
  auto authReq = throughInit(h);
  requireFragmentSet(authReq, ExchangeType::IkeAuth);
  std::vector<Datagram> shuffled(authReq.rbegin(), authReq.rend());
  shuffled.insert(shuffled.begin() + 1, authReq.back());  // the last one twice, before the others
  deliver(h, *h.r, shuffled);
  CHECK(Harness::counter(*h.r, "fragment-duplicate") == 1);
  CHECK(Harness::counter(*h.r, "fragments-reassembled") == 1);
  h.settle();
  requireEstablished(h);
}

TEST_CASE("a lost fragment: the whole set is retransmitted", "[ike][engine][fragmentation]") {
  Harness h = harness();
  auto authReq = throughInit(h);
  requireFragmentSet(authReq, ExchangeType::IkeAuth);
  deliver(h, *h.r, {authReq.begin() + 1, authReq.end()});  // fragment 1 lost
  CHECK(h.r->takeOutgoing().empty());
  h.now += 1000;  // the first retransmission timeout
  h.i->tick(h.now);
  auto again = h.i->takeOutgoing();
  REQUIRE(again.size() == authReq.size());  // RFC 7383 2.6.1: all fragments
  for (size_t k = 0; k < again.size(); ++k) CHECK(again[k].bytes == authReq[k].bytes);
  CHECK(Harness::counter(*h.i, "fragmented-sent") == 2);
  deliver(h, *h.r, again);
  // Fragment 1 completed the set; the others came after the answer (2.6.1).
  CHECK(Harness::counter(*h.r, "fragments-reassembled") == 1);
  CHECK(Harness::counter(*h.r, "fragment-retransmit-ignored") == authReq.size() - 1);
  h.settle();
  requireEstablished(h);
}

TEST_CASE("a tampered fragment is dropped before it is kept", "[ike][engine][fragmentation]") {
  Harness h = harness();
  auto authReq = throughInit(h);
  requireFragmentSet(authReq, ExchangeType::IkeAuth);
  SECTION("ciphertext") {
    Datagram bad = authReq[0];
    bad.bytes[bad.bytes.size() - 20] ^= 0x01;
    deliver(h, *h.r, {bad});
  }
  SECTION("Total Fragments (covered by the ICV)") {
    Datagram bad = authReq[0];
    bad.bytes[kIkeHeaderLen + 7] += 1;  // SKF: next, reserved, length(2), number(2), total(2)
    deliver(h, *h.r, {bad});
  }
  CHECK(Harness::counter(*h.r, "fragment-decrypt-failed") == 1);
  CHECK(Harness::counter(*h.r, "fragments-received") == 0);
  // The genuine fragment 1 still completes the set: nothing was kept of the fake.
  deliver(h, *h.r, authReq);
  CHECK(Harness::counter(*h.r, "fragments-reassembled") == 1);
  h.settle();
  requireEstablished(h);
}

TEST_CASE("a retransmitted fragmented request: the cached fragments answer fragment 1 only",
          "[ike][engine][fragmentation]") {
  Harness h = harness();
  auto authReq = throughInit(h);
  deliver(h, *h.r, authReq);
  auto authResp = h.r->takeOutgoing();
  requireFragmentSet(authResp, ExchangeType::IkeAuth);  // lost on the way back
  deliver(h, *h.r, {authReq.begin() + 1, authReq.end()});
  CHECK(h.r->takeOutgoing().empty());
  CHECK(Harness::counter(*h.r, "fragment-retransmit-ignored") == authReq.size() - 1);
  deliver(h, *h.r, {authReq[0]});
  auto resent = h.r->takeOutgoing();
  REQUIRE(resent.size() == authResp.size());
  for (size_t k = 0; k < resent.size(); ++k) CHECK(resent[k].bytes == authResp[k].bytes);
  deliver(h, *h.i, resent);
  requireEstablished(h);
}

TEST_CASE("an incomplete set is given up after the reassembly timeout", "[ike][engine][fragmentation]") {
  Harness h = harness();
  h.start();
  h.settle();
  requireEstablished(h);
  std::string error;
  REQUIRE(h.i->rekeyChild("site", "lan", h.now, error));
  auto rekeyReq = h.i->takeOutgoing();
  requireFragmentSet(rekeyReq, ExchangeType::CreateChildSa);
  deliver(h, *h.r, {rekeyReq.front()});
  h.now += 29'000;
  h.r->tick(h.now);
  CHECK(Harness::counter(*h.r, "fragment-timeout") == 0);
  h.now += 2'000;
  h.r->tick(h.now);
  CHECK(Harness::counter(*h.r, "fragment-timeout") == 1);
  // The remaining fragments alone do not make a message any more...
  deliver(h, *h.r, {rekeyReq.begin() + 1, rekeyReq.end()});
  CHECK(Harness::counter(*h.r, "fragments-reassembled") == 1);  // IKE_AUTH's only
  CHECK(h.r->takeOutgoing().empty());
  // ...the retransmitted set does.
  deliver(h, *h.r, rekeyReq);
  CHECK(Harness::counter(*h.r, "fragments-reassembled") == 2);
  h.settle();
  CHECK(eventsOf<ChildSaUp>(h.eventsR).size() == 2);
}

TEST_CASE("negotiation: fragments only where both announced", "[ike][engine][fragmentation]") {
  using F = config::Fragmentation;
  SECTION("responder says no: it does not answer the notify, nobody fragments") {
    Harness h = harness(F::Yes, F::No);
    h.start();
    auto initReq = h.i->takeOutgoing();
    CHECK(decoded(initReq[0]).findNotify(NotifyType::Ikev2FragmentationSupported));
    deliver(h, *h.r, initReq);
    auto initResp = h.r->takeOutgoing();
    CHECK_FALSE(decoded(initResp[0]).findNotify(NotifyType::Ikev2FragmentationSupported));
    deliver(h, *h.i, initResp);
    auto authReq = h.i->takeOutgoing();
    REQUIRE(authReq.size() == 1);  // larger than fragment_size, but whole
    CHECK(authReq[0].bytes.size() + kIpv4Udp > kFragmentSize);
    CHECK(decoded(authReq[0]).payloads.back().type == PayloadType::SK);
    deliver(h, *h.r, authReq);
    auto authResp = h.r->takeOutgoing();
    REQUIRE(authResp.size() == 1);
    deliver(h, *h.i, authResp);
    requireEstablished(h);
  }
  SECTION("initiator says no: no notify either way") {
    Harness h = harness(F::No, F::Yes);
    h.start();
    auto initReq = h.i->takeOutgoing();
    CHECK_FALSE(decoded(initReq[0]).findNotify(NotifyType::Ikev2FragmentationSupported));
    deliver(h, *h.r, initReq);
    auto initResp = h.r->takeOutgoing();
    CHECK_FALSE(decoded(initResp[0]).findNotify(NotifyType::Ikev2FragmentationSupported));
    deliver(h, *h.i, initResp);
    h.settle();
    requireEstablished(h);
    CHECK(Harness::counter(*h.i, "fragments-sent") == 0);
    CHECK(Harness::counter(*h.r, "fragments-sent") == 0);
  }
  SECTION("accept: announced and reassembled, our own messages whole") {
    Harness h = harness(F::Accept, F::Force);
    auto authReq = throughInit(h);
    REQUIRE(authReq.size() == 1);
    deliver(h, *h.r, authReq);
    auto authResp = h.r->takeOutgoing();
    requireFragmentSet(authResp, ExchangeType::IkeAuth);
    deliver(h, *h.i, authResp);
    requireEstablished(h);
  }
}

TEST_CASE("the rekeyed IKE SA keeps fragmentation (no new IKE_SA_INIT announces it)", "[ike][engine][fragmentation]") {
  Harness h = harness();
  h.start();
  h.settle();
  requireEstablished(h);
  std::string error;
  REQUIRE(h.i->rekeyIke("site", h.now, error));
  h.settle();
  REQUIRE(Harness::state(*h.i) == "ESTABLISHED");
  REQUIRE(h.i->rekeyChild("site", "lan", h.now, error));
  auto rekeyReq = h.i->takeOutgoing();
  requireFragmentSet(rekeyReq, ExchangeType::CreateChildSa);
  deliver(h, *h.r, rekeyReq);
  h.settle();
  CHECK(eventsOf<ChildSaUp>(h.eventsR).size() == 2);
}
