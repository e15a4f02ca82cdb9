// ESP encapsulation and decapsulation on plain buffers, both crypto engines,
// every transform, tunnel and transport, IPv4/IPv6 inner and outer, with and
// without UDP encapsulation and ESN. The wire format itself is checked
// independently against scapy (tests/integration/scapy_wire_test.py); here
// we hold the round trip, the failure reasons and the counters.
#include <catch2/catch.hpp>

#include <cstring>

#include "common/packet_builder.hpp"
#include "crypto/engine_factory.hpp"
#include "esp/esp_inbound.hpp"
#include "esp/esp_outbound.hpp"
#include "net/checksum.hpp"
#include "net/ip.hpp"
#include "net/ip_layout.hpp"
#include "sa_pair.hpp"
#include "util/byte_order.hpp"

using namespace ipsecgw;
using namespace ipsecgw::esp;
using test::OwnedPacket;
using test::SaPair;

namespace {

const Transform kAllTransforms[] = {Transform::AesGcm128,           Transform::AesGcm256,
                                    Transform::ChaCha20Poly1305,    Transform::AesGmac128,
                                    Transform::AesGmac256,          Transform::AesCbc128HmacSha256,
                                    Transform::AesCbc256HmacSha256, Transform::NullHmacSha256};

IpAddress addr(const char* s) { return *IpAddress::parse(s); }

// Runs pkts through encap then decap; returns the decapsulated bytes.
std::vector<std::vector<uint8_t>> roundTrip(SaPair& sa, CryptoEngine& eng, std::vector<OwnedPacket>& pkts,
                                            uint32_t& encOk, uint32_t& decOk) {
  std::vector<PacketBuffer*> ptrs;
  for (auto& p : pkts) ptrs.push_back(&p.buf);
  std::vector<DropReason> why(ptrs.size());
  encOk = espEncapsulate(*sa.out, eng, ptrs, why);
  std::vector<PacketBuffer*> enc(ptrs.begin(), ptrs.begin() + encOk);
  decOk = espDecapsulate(*sa.in, eng, enc, why);
  std::vector<std::vector<uint8_t>> out;
  for (uint32_t i = 0; i < decOk; ++i) out.emplace_back(enc[i]->data(), enc[i]->data() + enc[i]->length);
  return out;
}

}  // namespace

TEST_CASE("esp: round trip for every transform, mode, family and encapsulation", "[esp]") {
  std::mt19937 rng(42);
  for (const char* engineName : {"ipsec-mb", "openssl"}) {
    auto eng = crypto::makeEngine(engineName);
    REQUIRE(eng);
    for (Transform t : kAllTransforms) {
      for (Mode mode : {Mode::Tunnel, Mode::Transport}) {
        for (int fam = 0; fam < 4; ++fam) {  // outer/inner: 4/4, 6/6, 4/6, 6/4
          bool outerV6 = fam == 1 || fam == 3, innerV6 = fam == 1 || fam == 2;
          if (mode == Mode::Transport && outerV6 != innerV6) continue;
          for (bool udp : {false, true}) {
            for (bool esn : {false, true}) {
              CAPTURE(engineName, transformInfo(t).name, mode == Mode::Tunnel, fam, udp, esn);
              test::SaPairOptions o;
              o.transform = t;
              o.mode = mode;
              o.udpEncap = udp;
              o.esn = esn;
              o.local = addr(outerV6 ? "2001:db8::1" : "192.0.2.1");
              o.remote = addr(outerV6 ? "2001:db8::2" : "198.51.100.2");
              auto sa = test::makeSaPair(o, *eng, rng);
              REQUIRE(sa.out);
              REQUIRE(sa.in);
              if (esn) {
                // Cross the 2^32 boundary: the sender is just below it and
                // the receiver has seen its previous packet.
                sa.out->setLastSequence((1ull << 32) - 5);
                REQUIRE(sa.in->replayWindow()->accept((1ull << 32) - 5));
              }
              IpAddress src = mode == Mode::Transport ? o.local : addr(innerV6 ? "fd00::a" : "10.0.0.1");
              IpAddress dst = mode == Mode::Transport ? o.remote : addr(innerV6 ? "fd00::b" : "10.0.1.1");
              std::vector<OwnedPacket> pkts;
              std::vector<std::vector<uint8_t>> plain;
              for (uint32_t i = 0; i < 40; ++i) {
                uint8_t proto = i % 3 == 0 ? ip::kProtoUdp : i % 3 == 1 ? ip::kProtoTcp : ip::kProtoIcmp;
                auto p = test::makeIpPacket(src, dst, proto, rng() % 1400, rng);
                plain.push_back(p);
                pkts.emplace_back(p);
              }
              uint32_t encOk, decOk;
              auto out = roundTrip(sa, *eng, pkts, encOk, decOk);
              REQUIRE(encOk == pkts.size());
              REQUIRE(decOk == pkts.size());
              for (size_t i = 0; i < plain.size(); ++i) REQUIRE(out[i] == plain[i]);
              CHECK(sa.out->counters().packets == pkts.size());
              CHECK(sa.in->counters().packets == pkts.size());
              CHECK(sa.in->counters().drops == 0);
            }
          }
        }
      }
    }
  }
}

TEST_CASE("esp: tunnel outer header carries the SA's addresses, DSCP and ESP/UDP", "[esp]") {
  std::mt19937 rng(1);
  auto eng = crypto::makeEngine("ipsec-mb");
  for (bool udp : {false, true}) {
    test::SaPairOptions o;
    o.udpEncap = udp;
    auto sa = test::makeSaPair(o, *eng, rng);
    OwnedPacket p(test::makeIpPacket(addr("10.0.0.1"), addr("10.0.1.1"), ip::kProtoUdp, 100, rng));
    PacketBuffer* ptr = &p.buf;
    DropReason why;
    REQUIRE(espEncapsulate(*sa.out, *eng, {&ptr, 1}, {&why, 1}) == 1);
    const uint8_t* h = p.buf.data();
    IpLayout lay;
    REQUIRE(locateUpperLayer({h, p.buf.length}, lay) == DropReason::None);
    CHECK(lay.totalLen == p.buf.length);
    CHECK(lay.upperProtocol == (udp ? ip::kProtoUdp : ip::kProtoEsp));
    CHECK(std::memcmp(h + ip::kV4Src, o.local.bytes.data(), 4) == 0);
    CHECK(std::memcmp(h + ip::kV4Dst, o.remote.bytes.data(), 4) == 0);
    CHECK(h[ip::kV4Tos] == 0x28);
    CHECK((loadBe16(h + ip::kV4Frag) & ip::kV4FlagDf) != 0);
    CHECK(checksumFinish(checksumPartial(h, 20)) == 0);  // header checksum verifies
    const uint8_t* esp = h + 20 + (udp ? 8 : 0);
    if (udp) {
      CHECK(loadBe16(h + 20) == 4500);
      CHECK(loadBe16(h + 22) == 4500);
      CHECK(loadBe16(h + 24) == p.buf.length - 20);
    }
    CHECK(loadBe32(esp) == sa.out->spi());
    CHECK(loadBe32(esp + 4) == 1);
    CHECK(loadBe64(esp + 8) == 1);  // IV = 64-bit sequence number
    CHECK((p.buf.length - 20 - (udp ? 8 : 0)) % 4 == 0);
  }
}

TEST_CASE("esp: TFC padding is added and removed", "[esp]") {
  std::mt19937 rng(2);
  auto eng = crypto::makeEngine("ipsec-mb");
  test::SaPairOptions o;
  o.tfcPadTo = 1000;
  auto sa = test::makeSaPair(o, *eng, rng);
  auto plain = test::makeIpPacket(addr("10.0.0.1"), addr("10.0.1.1"), ip::kProtoUdp, 50, rng);
  std::vector<OwnedPacket> pkts;
  pkts.emplace_back(plain, 128, 1200);
  PacketBuffer* ptr = &pkts[0].buf;
  DropReason why;
  REQUIRE(espEncapsulate(*sa.out, *eng, {&ptr, 1}, {&why, 1}) == 1);
  CHECK(ptr->length >= 20 + 8 + 8 + 1000 + 2 + 16);
  REQUIRE(espDecapsulate(*sa.in, *eng, {&ptr, 1}, {&why, 1}) == 1);
  CHECK(pkts[0].bytes() == plain);
}

namespace {
// Encapsulates one packet and returns the ESP packet bytes.
std::vector<uint8_t> encapOne(SecurityAssociation& out, CryptoEngine& eng, std::mt19937& rng, uint32_t len = 200) {
  OwnedPacket p(test::makeIpPacket(addr("10.0.0.1"), addr("10.0.1.1"), ip::kProtoUdp, len, rng));
  PacketBuffer* ptr = &p.buf;
  DropReason why;
  REQUIRE(espEncapsulate(out, eng, {&ptr, 1}, {&why, 1}) == 1);
  return p.bytes();
}
DropReason decapOne(SecurityAssociation& in, CryptoEngine& eng, const std::vector<uint8_t>& bytes) {
  OwnedPacket p(bytes);
  PacketBuffer* ptr = &p.buf;
  DropReason why = DropReason::None;
  espDecapsulate(in, eng, {&ptr, 1}, {&why, 1});
  return why;
}
}  // namespace

TEST_CASE("esp: every failure has its own reason", "[esp][negative]") {
  std::mt19937 rng(3);
  auto eng = crypto::makeEngine("ipsec-mb");
  for (Transform t : kAllTransforms) {
    CAPTURE(transformInfo(t).name);
    test::SaPairOptions o;
    o.transform = t;
    auto sa = test::makeSaPair(o, *eng, rng);
    auto good = encapOne(*sa.out, *eng, rng);

    SECTION("any flipped bit after the outer header fails the ICV") {
      for (size_t i = 20; i < good.size(); i += 7) {
        auto bad = good;
        bad[i] ^= 0x10;
        DropReason r = decapOne(*sa.in, *eng, bad);
        // Flipping the SPI is found before the ICV.
        if (i < 24)
          CHECK(r == DropReason::UnknownSpi);
        else
          CHECK((r == DropReason::BadIcv || r == DropReason::Replay));
      }
    }
    SECTION("replay, then a fresh packet still passes") {
      CHECK(decapOne(*sa.in, *eng, good) == DropReason::None);
      CHECK(decapOne(*sa.in, *eng, good) == DropReason::Replay);
      CHECK(decapOne(*sa.in, *eng, encapOne(*sa.out, *eng, rng)) == DropReason::None);
      CHECK(sa.in->counters().drops == 1);
    }
    SECTION("truncated packets") {
      for (size_t len = 20; len < good.size(); ++len) {
        std::vector<uint8_t> cut(good.begin(), good.begin() + len);
        storeBe16(cut.data() + 2, static_cast<uint16_t>(len));  // consistent IP length
        DropReason r = decapOne(*sa.in, *eng, cut);
        CHECK(r != DropReason::None);
        CHECK((r == DropReason::EspShort || r == DropReason::EspBadLength || r == DropReason::BadIcv));
      }
      auto lies = good;
      storeBe16(lies.data() + 2, static_cast<uint16_t>(good.size() + 1));  // longer than the buffer
      CHECK(decapOne(*sa.in, *eng, lies) == DropReason::Malformed);
    }
  }
}

TEST_CASE("esp: bad padding is refused even under a valid ICV", "[esp][negative]") {
  // NULL encryption lets the test rewrite the trailer and re-MAC it itself.
  std::mt19937 rng(4);
  auto eng = crypto::makeEngine("openssl");
  test::SaPairOptions o;
  o.transform = Transform::NullHmacSha256;
  auto sa = test::makeSaPair(o, *eng, rng);
  auto pkt = encapOne(*sa.out, *eng, rng, 201);  // 201 + 28 inner: needs padding
  const uint32_t icv = 16;
  uint8_t padLen = pkt[pkt.size() - icv - 2];
  REQUIRE(padLen > 0);
  pkt[pkt.size() - icv - 2 - padLen] ^= 0x40;  // corrupt the first pad byte
  // Re-MAC with the engine itself over SPI..NH: same session as the SA.
  CryptoOp op;
  op.data = pkt.data() + 20;
  op.authLen = static_cast<uint32_t>(pkt.size() - 20 - icv);
  op.digest = pkt.data() + pkt.size() - icv;
  eng->process(sa.out->session(), o.transform, CryptoDirection::Encrypt, {&op, 1});
  REQUIRE(op.ok);
  CHECK(decapOne(*sa.in, *eng, pkt) == DropReason::BadPadding);
}

TEST_CASE("esp: sequence number overflow stops the SA and asks for a rekey", "[esp]") {
  std::mt19937 rng(5);
  auto eng = crypto::makeEngine("ipsec-mb");
  for (bool esn : {false, true}) {
    test::SaPairOptions o;
    o.esn = esn;
    auto sa = test::makeSaPair(o, *eng, rng);
    sa.out->setLastSequence((esn ? UINT64_MAX : UINT32_MAX) - 1);
    encapOne(*sa.out, *eng, rng);  // the last number there is
    OwnedPacket p(test::makeIpPacket(addr("10.0.0.1"), addr("10.0.1.1"), ip::kProtoUdp, 10, rng));
    PacketBuffer* ptr = &p.buf;
    DropReason why;
    CHECK(espEncapsulate(*sa.out, *eng, {&ptr, 1}, {&why, 1}) == 0);
    CHECK(why == DropReason::SeqOverflow);
    CHECK((sa.out->lifetime().takeEvents() & kEventSeqExhausted) != 0);
  }
}

TEST_CASE("esp: hard lifetime stops both directions exactly", "[esp]") {
  std::mt19937 rng(6);
  auto eng = crypto::makeEngine("ipsec-mb");
  test::SaPairOptions o;
  o.lifetime = {.softPackets = 2, .hardPackets = 3};
  auto sa = test::makeSaPair(o, *eng, rng);
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < 3; ++i) sent.push_back(encapOne(*sa.out, *eng, rng));
  CHECK(sa.out->lifetime().takeEvents() == kEventSoftLifetime);
  OwnedPacket p(test::makeIpPacket(addr("10.0.0.1"), addr("10.0.1.1"), ip::kProtoUdp, 10, rng));
  PacketBuffer* ptr = &p.buf;
  DropReason why;
  CHECK(espEncapsulate(*sa.out, *eng, {&ptr, 1}, {&why, 1}) == 0);
  CHECK(why == DropReason::LifetimeExpired);
  CHECK(sa.out->lifetime().takeEvents() == kEventHardLifetime);
  for (auto& s : sent) CHECK(decapOne(*sa.in, *eng, s) == DropReason::None);
  CHECK(sa.in->lifetime().takeEvents() == kEventSoftLifetime);
}

TEST_CASE("esp: failures move behind survivors with their reasons", "[esp]") {
  std::mt19937 rng(7);
  auto eng = crypto::makeEngine("ipsec-mb");
  test::SaPairOptions o;
  auto sa = test::makeSaPair(o, *eng, rng);
  std::vector<std::vector<uint8_t>> wire;
  for (int i = 0; i < 70; ++i) wire.push_back(encapOne(*sa.out, *eng, rng, 64 + i));
  for (int i = 0; i < 70; i += 5) wire[i][40] ^= 1;  // every fifth: bad ICV
  std::vector<OwnedPacket> pkts;
  for (auto& w : wire) pkts.emplace_back(w);
  std::vector<PacketBuffer*> ptrs;
  for (auto& p : pkts) ptrs.push_back(&p.buf);
  std::vector<DropReason> why(ptrs.size());
  uint32_t ok = espDecapsulate(*sa.in, *eng, ptrs, why);
  CHECK(ok == 56);
  for (uint32_t i = 0; i < ok; ++i) CHECK(why[i] == DropReason::None);
  for (uint32_t i = ok; i < ptrs.size(); ++i) CHECK(why[i] == DropReason::BadIcv);
  // Survivors keep their order.
  for (uint32_t i = 1; i < ok; ++i) CHECK(ptrs[i]->length > ptrs[i - 1]->length);
}

TEST_CASE("esp: SA configuration is validated", "[esp]") {
  auto eng = crypto::makeEngine("openssl");
  std::string error;
  SaConfig c;
  c.spi = 0x1234;
  c.transform = Transform::AesGcm128;
  c.keymat = SecretBytes(std::vector<uint8_t>(19));
  c.localAddress = addr("192.0.2.1");
  c.remoteAddress = addr("192.0.2.2");
  CHECK_FALSE(SecurityAssociation::create(std::move(c), Direction::Outbound, *eng, error));
  CHECK(error.find("20 bytes") != std::string::npos);

  SaConfig d;
  d.spi = 5;
  d.keymat = SecretBytes(std::vector<uint8_t>(20));
  d.localAddress = addr("192.0.2.1");
  d.remoteAddress = addr("192.0.2.2");
  CHECK_FALSE(SecurityAssociation::create(std::move(d), Direction::Outbound, *eng, error));
  CHECK(error.find("reserved") != std::string::npos);

  SaConfig w;
  w.spi = 0x1000;
  w.keymat = SecretBytes(std::vector<uint8_t>(20));
  w.replayWindow = 32;
  w.localAddress = addr("192.0.2.1");
  w.remoteAddress = addr("192.0.2.2");
  CHECK_FALSE(SecurityAssociation::create(std::move(w), Direction::Inbound, *eng, error));
  CHECK(error.find("replay window") != std::string::npos);
}

TEST_CASE("esp: the SA wipes its key material after building the session", "[esp][keys]") {
  auto eng = crypto::makeEngine("ipsec-mb");
  std::string error;
  SaConfig c;
  c.spi = 0x1234;
  c.keymat = SecretBytes(std::vector<uint8_t>(20, 0xAB));
  c.localAddress = addr("192.0.2.1");
  c.remoteAddress = addr("192.0.2.2");
  auto sa = SecurityAssociation::create(std::move(c), Direction::Outbound, *eng, error);
  REQUIRE(sa);
  CHECK(sa->config().keymat.empty());
}

TEST_CASE("esp: NAT keepalive and IKE on port 4500 are not decapsulated", "[esp][natt]") {
  std::mt19937 rng(8);
  auto eng = crypto::makeEngine("ipsec-mb");
  test::SaPairOptions o;
  o.udpEncap = true;
  auto sa = test::makeSaPair(o, *eng, rng);
  auto pkt = encapOne(*sa.out, *eng, rng);
  std::vector<uint8_t> keepalive(pkt.begin(), pkt.begin() + 29);
  keepalive[28] = 0xff;
  storeBe16(keepalive.data() + 2, 29);
  storeBe16(keepalive.data() + 24, 9);
  CHECK(decapOne(*sa.in, *eng, keepalive) == DropReason::NatKeepalive);
  uint32_t spi;
  CHECK(peekEspSpi(pkt, spi) == DropReason::None);
  CHECK(spi == sa.out->spi());
  auto ike = pkt;
  storeBe32(ike.data() + 28, 0);  // non-ESP marker
  CHECK(decapOne(*sa.in, *eng, ike) == DropReason::Malformed);
}

TEST_CASE("esp: ipsec-mb and OpenSSL build identical ESP packets and read each other's", "[esp][crosscheck]") {
  // Same keys, same sequence numbers, same plaintext: the whole ESP packet
  // (headers, IV, padding, ciphertext, ICV) must match byte for byte.
  auto mb = crypto::makeEngine("ipsec-mb");
  auto ossl = crypto::makeEngine("openssl");
  for (Transform t : kAllTransforms) {
    for (bool esn : {false, true}) {
      CAPTURE(transformInfo(t).name, esn);
      std::mt19937 keyRng(100 + static_cast<int>(t)), keyRng2(100 + static_cast<int>(t));
      test::SaPairOptions o;
      o.transform = t;
      o.esn = esn;
      auto a = test::makeSaPair(o, *mb, keyRng);
      auto b = test::makeSaPair(o, *ossl, keyRng2);  // same draws: same keys and SPI
      REQUIRE(a.out->spi() == b.out->spi());
      std::mt19937 rng(7);
      for (int i = 0; i < 300; ++i) {
        auto plain = test::makeIpPacket(addr("10.0.0.1"), addr("10.0.1.1"), ip::kProtoUdp, rng() % 1500, rng);
        OwnedPacket pa(plain), pb(plain);
        PacketBuffer* p1 = &pa.buf;
        PacketBuffer* p2 = &pb.buf;
        DropReason why;
        REQUIRE(espEncapsulate(*a.out, *mb, {&p1, 1}, {&why, 1}) == 1);
        REQUIRE(espEncapsulate(*b.out, *ossl, {&p2, 1}, {&why, 1}) == 1);
        REQUIRE(pa.bytes() == pb.bytes());
        // Each engine decapsulates the other's packet.
        REQUIRE(espDecapsulate(*b.in, *ossl, {&p1, 1}, {&why, 1}) == 1);
        REQUIRE(espDecapsulate(*a.in, *mb, {&p2, 1}, {&why, 1}) == 1);
        REQUIRE(pa.bytes() == plain);
        REQUIRE(pb.bytes() == plain);
      }
    }
  }
}
