// COOKIEs (RFC 7296 2.6): past [ike] cookie_threshold half-open IKE SAs the
// responder answers IKE_SA_INIT statelessly with N(COOKIE); the initiator
// retries with it first; wrong, forged and outdated cookies get no state; a
// source address may hold only a few half-open SAs; a spoofed flood leaves
// nothing behind.
#include "exchange_harness.hpp"

#include <cstdlib>
#include <fstream>
#include <random>

#include "ike/crypto/cookie.hpp"
#include "ike/wire/message_codec.hpp"
#include "util/byte_order.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using namespace ipsecgw::ike::test;

namespace {
const std::vector<std::string> kIke{"aes128gcm16-prfsha256-x25519"};
const std::vector<std::string> kEsp{"aes128gcm16"};

config::IkeSettings withThreshold(uint32_t threshold) {
  config::IkeSettings s = fastSettings();
  s.cookieThreshold = threshold;
  return s;
}

// `request` as if sent by another initiator: SPIi and source address changed.
Datagram fromElsewhere(const Datagram& request, uint64_t spiI, const IpAddress& source) {
  Datagram d = Harness::flip(request);
  storeBe64(d.bytes.data(), spiI);
  d.remote.address = source;
  return d;
}

const NotifyPayload* cookieOf(const Datagram& d) {
  static Message m;
  auto decoded = decodeMessage(d.bytes);
  REQUIRE(decoded);
  m = std::move(*decoded);
  return m.findNotify(NotifyType::Cookie);
}
}  // namespace

TEST_CASE("cookie_threshold 0: every initiator goes through the COOKIE round trip", "[ike][engine][cookie]") {
  auto b = connection(kB, kA, kIke, kEsp);
  Harness h(connection(kA, kB, kIke, kEsp), std::move(b), withThreshold(0));
  h.start();
  auto first = h.i->takeOutgoing();
  REQUIRE(first.size() == 1);
  h.r->receive(Harness::flip(first[0]), h.now);
  CHECK(h.r->listSas().empty());  // stateless
  auto answer = h.r->takeOutgoing();
  REQUIRE(answer.size() == 1);
  const NotifyPayload* cookie = cookieOf(answer[0]);
  REQUIRE(cookie);
  CHECK(cookie->data.size() == CookieSecrets::kCookieLen);
  auto hdr = decodeHeader(answer[0].bytes);
  CHECK(hdr->spiR == 0);
  CHECK(hdr->isResponse());
  CHECK(Harness::counter(*h.r, "cookie-sent") == 1);

  h.i->receive(Harness::flip(answer[0]), h.now);
  auto retry = h.i->takeOutgoing();
  REQUIRE(retry.size() == 1);
  auto m = decodeMessage(retry[0].bytes);
  REQUIRE(m);
  REQUIRE(!m->payloads.empty());
  const auto* echoed = std::get_if<NotifyPayload>(&m->payloads.front().body);
  REQUIRE(echoed);  // N(COOKIE) first, the rest unchanged
  CHECK(echoed->type == NotifyType::Cookie);
  CHECK(echoed->data == cookie->data);
  CHECK(m->header.messageId == 0);
  CHECK(m->header.spiI == decodeHeader(first[0].bytes)->spiI);
  auto original = decodeMessage(first[0].bytes);
  REQUIRE(original);
  CHECK(std::vector<Payload>(m->payloads.begin() + 1, m->payloads.end()) == original->payloads);

  if (const char* dir = std::getenv("IKE_ENGINE_SEED_DIR")) {  // fuzz seed (tests/fuzz/seeds/ike_engine)
    std::ofstream f(std::string(dir) + "/ike_sa_init_with_cookie.bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(retry[0].bytes.data()), static_cast<std::streamsize>(retry[0].bytes.size()));
    REQUIRE(f.good());
  }
  h.r->receive(Harness::flip(retry[0]), h.now);
  CHECK(h.r->listSas().size() == 1);
  h.settle();
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  CHECK(Harness::state(*h.r) == "ESTABLISHED");
  requireMirrored(*eventsOf<ChildSaUp>(h.eventsI)[0], *eventsOf<ChildSaUp>(h.eventsR)[0]);
  CHECK(Harness::counter(*h.i, "cookie-received") == 1);
}

TEST_CASE("cookies only past the threshold; wrong cookies get no state", "[ike][engine][cookie]") {
  auto b = connection(kB, kA, kIke, kEsp);
  b.remoteAddress = addr("0.0.0.0");
  Harness h(connection(kA, kB, kIke, kEsp), std::move(b), withThreshold(2));
  h.start();
  auto request = h.i->takeOutgoing();
  REQUIRE(request.size() == 1);
  // Two other initiators fill the threshold without cookies.
  h.r->receive(fromElsewhere(request[0], 0x1111, addr("203.0.113.1")), h.now);
  h.r->receive(fromElsewhere(request[0], 0x2222, addr("203.0.113.2")), h.now);
  CHECK(h.r->listSas().size() == 2);
  CHECK(h.r->takeOutgoing().size() == 2);  // ordinary IKE_SA_INIT responses
  CHECK(Harness::counter(*h.r, "cookie-sent") == 0);
  // The third needs one.
  h.r->receive(Harness::flip(request[0]), h.now);
  auto answer = h.r->takeOutgoing();
  REQUIRE(answer.size() == 1);
  REQUIRE(cookieOf(answer[0]));
  CHECK(h.r->listSas().size() == 2);
  // A tampered cookie, or a good one echoed for another SPI or source: refused, a fresh cookie instead.
  h.i->receive(Harness::flip(answer[0]), h.now);
  auto retry = h.i->takeOutgoing();
  REQUIRE(retry.size() == 1);
  Datagram tampered = Harness::flip(retry[0]);
  tampered.bytes[28 + 8 + 4] ^= 0x01;  // inside the cookie data (after header, payload and notify headers)
  h.r->receive(std::move(tampered), h.now);
  h.r->receive(fromElsewhere(retry[0], 0x3333, Harness::flip(retry[0]).remote.address), h.now);
  h.r->receive(fromElsewhere(retry[0], decodeHeader(retry[0].bytes)->spiI, addr("203.0.113.9")), h.now);
  CHECK(Harness::counter(*h.r, "cookie-rejected") == 3);
  CHECK(h.r->takeOutgoing().size() == 3);
  CHECK(h.r->listSas().size() == 2);
  // The genuine retry gets in.
  h.r->receive(Harness::flip(retry[0]), h.now);
  CHECK(h.r->listSas().size() == 3);
  h.settle();
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  // Once its IKE_AUTH completed it no longer counts as half-open.
  h.r->takeOutgoing();
  h.now += 31'000;
  h.r->tick(h.now);
  CHECK(h.r->listSas().size() == 1);
}

TEST_CASE("a source may hold only a few half-open IKE SAs", "[ike][engine][cookie]") {
  auto b = connection(kB, kA, kIke, kEsp);
  b.remoteAddress = addr("0.0.0.0");
  Harness h(connection(kA, kB, kIke, kEsp), std::move(b));  // default threshold 100
  h.start();
  auto request = h.i->takeOutgoing();
  for (uint64_t k = 1; k <= 8; ++k) h.r->receive(fromElsewhere(request[0], k, addr("203.0.113.5")), h.now);
  CHECK(h.r->listSas().size() == 5);
  // Past its share the source is asked for a COOKIE: no state, one answer each.
  CHECK(Harness::counter(*h.r, "cookie-sent") == 3);
  CHECK(h.r->takeOutgoing().size() == 8);
  // Another source is not affected; expiry frees the slots.
  h.r->receive(fromElsewhere(request[0], 99, addr("203.0.113.6")), h.now);
  CHECK(h.r->listSas().size() == 6);
  h.now += 31'000;
  h.r->tick(h.now);
  CHECK(h.r->listSas().empty());
  h.r->receive(fromElsewhere(request[0], 100, addr("203.0.113.5")), h.now);
  CHECK(h.r->listSas().size() == 1);
}

TEST_CASE("a flood spoofing the peer's own address does not lock the peer out", "[ike][engine][cookie]") {
  // Below cookie_threshold: the spoofed requests take the address's share
  // of half-open SAs without a cookie; the peer's own request is then asked
  // for a COOKIE, which only the real peer receives, and gets in with it.
  Harness h(connection(kA, kB, kIke, kEsp), connection(kB, kA, kIke, kEsp));  // default threshold 100
  h.start();
  auto request = h.i->takeOutgoing();
  REQUIRE(request.size() == 1);
  const IpAddress peer = Harness::flip(request[0]).remote.address;
  std::mt19937_64 rng(7296);
  for (int k = 0; k < 2000; ++k) {
    Datagram d = fromElsewhere(request[0], rng() | 1, peer);
    d.remote.port = static_cast<uint16_t>(1024 + rng() % 60000);
    h.r->receive(std::move(d), h.now);
  }
  CHECK(h.r->listSas().size() == 5);
  CHECK(Harness::counter(*h.r, "cookie-sent") == 1995);
  CHECK(Harness::counter(*h.r, "half-open-limit") == 0);
  h.r->takeOutgoing();  // the answers go to the spoofed ports: lost
  h.r->receive(Harness::flip(request[0]), h.now);  // the real initiator's request
  auto answer = h.r->takeOutgoing();
  REQUIRE(answer.size() == 1);
  REQUIRE(cookieOf(answer[0]));
  h.i->receive(Harness::flip(answer[0]), h.now);
  h.settle();  // the retry with the COOKIE, IKE_AUTH
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  CHECK(Harness::counter(*h.i, "cookie-received") == 1);
  // Its INITIAL_CONTACT (3.10.1) cleared the spoofed half-open SAs too.
  CHECK(h.r->listSas().size() == 1);
  // A real address that answers cookies still holds only its share of
  // half-open SAs: five without a cookie, five on cookies, then no more.
  for (uint64_t k = 1; k <= 12; ++k) {
    INFO(k);
    Datagram d = fromElsewhere(request[0], 0x5000 + k, peer);
    h.r->receive(Datagram(d), h.now);
    auto reply = h.r->takeOutgoing();
    REQUIRE(reply.size() == 1);
    const NotifyPayload* cookie = cookieOf(reply[0]);
    CHECK((cookie != nullptr) == (k > 5));
    if (!cookie) continue;
    // Echo the cookie in front, as an initiator does (2.6).
    auto m = decodeMessage(d.bytes);
    REQUIRE(m);
    m->payloads.insert(m->payloads.begin(), Payload{PayloadType::Notify, false,
                                                    NotifyPayload{ProtocolId::None, {}, NotifyType::Cookie, cookie->data}});
    auto bytes = encodeMessage(*m);
    REQUIRE(bytes);
    d.bytes = std::move(*bytes);
    h.r->receive(std::move(d), h.now);
    CHECK(h.r->takeOutgoing().size() == (k <= 10 ? 1u : 0u));
  }
  CHECK(Harness::counter(*h.r, "half-open-limit") == 2);
  CHECK(h.r->listSas().size() == 1 + 5 + 5);
}

TEST_CASE("a spoofed IKE_SA_INIT flood under cookies leaves no state", "[ike][engine][cookie]") {
  auto b = connection(kB, kA, kIke, kEsp);
  b.remoteAddress = addr("0.0.0.0");
  Harness h(connection(kA, kB, kIke, kEsp), std::move(b), withThreshold(0));
  h.start();
  auto request = h.i->takeOutgoing();
  std::mt19937_64 rng(2606);
  for (int k = 0; k < 3000; ++k) {
    uint8_t a[4] = {203, 0, 113, static_cast<uint8_t>(rng())};
    Datagram d = fromElsewhere(request[0], rng() | 1, IpAddress::v4(a));
    d.remote.port = static_cast<uint16_t>(1024 + rng() % 60000);
    h.r->receive(std::move(d), h.now);
  }
  CHECK(h.r->listSas().empty());
  CHECK(Harness::counter(*h.r, "cookie-sent") == 3000);
  CHECK(h.r->takeOutgoing().size() == 3000);
  // The real initiator still gets through.
  h.r->receive(Harness::flip(request[0]), h.now);
  h.settle();
  CHECK(Harness::state(*h.r) == "ESTABLISHED");
}

TEST_CASE("cookie secrets rotate: the previous one is still honoured, older ones not", "[ike][engine][cookie]") {
  CookieSecrets s(60'000);
  const std::vector<uint8_t> ni(32, 7), ip{192, 0, 2, 1};
  uint64_t now = 5'000'000;
  auto c = s.make(ni, ip, 42, now);
  REQUIRE(c.size() == CookieSecrets::kCookieLen);
  CHECK(s.verify(c, ni, ip, 42, now));
  CHECK_FALSE(s.verify(c, ni, ip, 43, now));
  CHECK_FALSE(s.verify(c, std::vector<uint8_t>(32, 8), ip, 42, now));
  CHECK_FALSE(s.verify(c, ni, std::vector<uint8_t>{192, 0, 2, 2}, 42, now));
  CHECK_FALSE(s.verify(std::vector<uint8_t>(c.begin(), c.end() - 1), ni, ip, 42, now));
  auto c2 = s.make(ni, ip, 42, now + 60'000);  // rotated
  CHECK(c2 != c);
  CHECK(s.verify(c, ni, ip, 42, now + 60'000));   // previous secret
  CHECK(s.verify(c2, ni, ip, 42, now + 60'000));
  s.make(ni, ip, 42, now + 120'000);               // rotated again
  CHECK_FALSE(s.verify(c, ni, ip, 42, now + 120'000));
  CHECK(s.verify(c2, ni, ip, 42, now + 120'000));
  CHECK_FALSE(s.verify(c2, ni, ip, 42, now + 300'000));  // long idle: both secrets replaced
}
