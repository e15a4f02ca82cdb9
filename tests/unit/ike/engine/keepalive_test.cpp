// NAT keepalives (RFC 3948 4): the side behind a NAT (as NAT-D found it,
// RFC 7296 2.23) or with encap forced sends a single 0xFF octet to the peer's
// NAT-T port after 20 s without sending anything else. Driven by a fake
// clock; a NAPT between the engines is simulated by rewriting addresses.
#include "exchange_harness.hpp"

#include "ike/wire/message_codec.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using namespace ipsecgw::ike::test;

namespace {
const std::vector<std::string> kIke{"aes128gcm16-prfsha256-x25519"};
const std::vector<std::string> kEsp{"aes128gcm16"};

std::vector<Datagram> keepalives(const std::vector<Datagram>& ds) {
  std::vector<Datagram> out;
  for (const Datagram& d : ds)
    if (d.keepalive) out.push_back(d);
  return out;
}

// A NAPT in front of A: A's 192.0.2.1:p appears to B as 198.51.100.7:(30000+p).
const IpAddress kPublic = addr("198.51.100.7");
Datagram outOfNat(const Datagram& fromA) {
  Datagram d = Harness::flip(fromA);  // as B receives it
  d.remote = Endpoint{kPublic, static_cast<uint16_t>(30000 + fromA.local.port)};
  return d;
}
Datagram intoNat(const Datagram& fromB) {
  Datagram d = Harness::flip(fromB);  // as A receives it
  REQUIRE(fromB.remote.address == kPublic);
  d.local = Endpoint{addr("192.0.2.1"), static_cast<uint16_t>(fromB.remote.port - 30000)};
  return d;
}
void settleThroughNat(Harness& h) {
  for (int k = 0; k < 20; ++k) {
    auto a = h.i->takeOutgoing();
    auto b = h.r->takeOutgoing();
    for (const Datagram& d : a) h.r->receive(outOfNat(d), h.now);
    for (const Datagram& d : b) h.i->receive(intoNat(d), h.now);
    h.collect();
    if (a.empty() && b.empty()) break;
  }
}
}  // namespace

TEST_CASE("NAT in front of the initiator: it alone sends keepalives to the peer's 4500", "[ike][engine][nat]") {
  auto b = connection(kB, kA, kIke, kEsp);
  b.remoteAddress = addr("0.0.0.0");  // B accepts A from wherever the NAT maps it
  Harness h(connection(kA, kB, kIke, kEsp), std::move(b));
  h.start();
  settleThroughNat(h);
  REQUIRE(Harness::state(*h.i) == "ESTABLISHED");
  REQUIRE(Harness::state(*h.r) == "ESTABLISHED");
  CHECK(h.i->listSas()[0].natDetected);
  CHECK(h.r->listSas()[0].natDetected);
  CHECK(h.i->listSas()[0].local.port == 4500);
  CHECK(h.r->listSas()[0].remote.port == 34500);  // the NAT's mapping of A's 4500

  h.now += 19'999;
  h.i->tick(h.now);
  h.r->tick(h.now);
  CHECK(h.i->takeOutgoing().empty());
  CHECK(h.r->takeOutgoing().empty());
  h.now += 1;
  h.i->tick(h.now);
  h.r->tick(h.now);
  auto fromI = h.i->takeOutgoing();
  REQUIRE(fromI.size() == 1);
  CHECK(fromI[0].keepalive);
  CHECK(fromI[0].bytes == std::vector<uint8_t>{0xFF});
  CHECK(fromI[0].local == Endpoint{addr("192.0.2.1"), 4500});
  CHECK(fromI[0].remote == Endpoint{addr("192.0.2.2"), 4500});
  CHECK(h.r->takeOutgoing().empty());  // B is not behind a NAT
  CHECK(Harness::counter(*h.i, "nat-keepalive-sent") == 1);
  // The next one 20 s later again, not before.
  h.now += 19'999;
  h.i->tick(h.now);
  CHECK(h.i->takeOutgoing().empty());
  h.now += 1;
  h.i->tick(h.now);
  CHECK(keepalives(h.i->takeOutgoing()).size() == 1);
  // Any IKE message we send resets the timer: a rekey now, none 19 s later.
  std::string error;
  REQUIRE(h.i->rekeyChild("site", "lan", h.now, error));
  settleThroughNat(h);
  h.now += 19'000;
  h.i->tick(h.now);
  CHECK(keepalives(h.i->takeOutgoing()).empty());
}

TEST_CASE("no NAT, no keepalives; forced encap sends them from the side that forces it", "[ike][engine][nat]") {
  const bool force = GENERATE(false, true);
  auto a = connection(kA, kB, kIke, kEsp);
  a.forceEncap = force;
  Harness h(std::move(a), connection(kB, kA, kIke, kEsp));
  h.start();
  h.settle();
  REQUIRE(Harness::state(*h.i) == "ESTABLISHED");
  size_t sentI = 0, sentR = 0;
  for (int k = 0; k < 6; ++k) {
    h.now += 10'000;
    h.i->tick(h.now);
    h.r->tick(h.now);
    sentI += keepalives(h.i->takeOutgoing()).size();
    sentR += keepalives(h.r->takeOutgoing()).size();
  }
  CHECK(sentI == (force ? 3u : 0u));
  CHECK(sentR == 0);
}
