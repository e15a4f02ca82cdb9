// SK (RFC 7296 3.14) through a test-double SkCipher: layout, padding, ICV and
// the two decoding steps.
#include <catch2/catch.hpp>

#include "ike/wire/message_codec.hpp"
#include "sample_messages.hpp"
#include "util/byte_order.hpp"
#include "xor_sk_cipher.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;

namespace {

Message authRequest() {
  Message m;
  m.header = Header{0x1111, 0x2222, 2, 0, ExchangeType::IkeAuth, kFlagInitiator, 1};
  m.add(PayloadType::IDi, IdPayload{IdType::Fqdn, Bytes{'a', '.', 'b'}});
  m.add(AuthPayload{AuthMethod::SharedKeyMic, test::filled(32, 3)});
  m.add(test::sampleSa());
  m.add(PayloadType::TSi, TsPayload{{TrafficSelector::ipv4({10, 0, 0, 0}, {10, 0, 0, 255})}});
  m.add(PayloadType::TSr, TsPayload{{TrafficSelector::ipv4({10, 9, 0, 0}, {10, 9, 0, 255})}});
  return m;
}

// Decrypts in place with the double, lets `edit` change the plaintext, re-seals.
template <typename Edit>
Bytes resealed(Bytes b, test::XorSkCipher& c, Edit edit) {
  constexpr size_t ivOffset = kIkeHeaderLen + 4;
  REQUIRE(c.open(b, ivOffset));
  edit(std::span<uint8_t>(b).subspan(ivOffset + c.ivLength(), b.size() - ivOffset - c.ivLength() - c.icvLength()));
  REQUIRE(c.seal(b, ivOffset));
  return b;
}

}  // namespace

TEST_CASE("SK round trip: layout, padding and both decoding steps", "[ike][wire][sk]") {
  for (size_t block : {1u, 8u, 16u}) {
    INFO("block size " << block);
    test::XorSkCipher cipher(16, 12, block);
    const Message m = authRequest();
    auto inner = encodeChain(m.payloads);
    REQUIRE(inner);
    auto bytes = encodeEncrypted(m, cipher);
    REQUIRE(bytes);

    // [header][SK header][IV][inner | pad | padlen][ICV], lengths final.
    const size_t plain = bytes->size() - kIkeHeaderLen - 4 - 16 - 12;
    CHECK(plain % block == 0);
    CHECK(plain >= inner->size() + 1);
    CHECK(plain - inner->size() - 1 < block);
    CHECK((*bytes)[16] == static_cast<uint8_t>(PayloadType::SK));
    CHECK((*bytes)[kIkeHeaderLen] == static_cast<uint8_t>(PayloadType::IDi));
    CHECK(loadBe16(bytes->data() + kIkeHeaderLen + 2) == bytes->size() - kIkeHeaderLen);

    auto outer = decodeMessage(*bytes);
    REQUIRE(outer);
    REQUIRE(outer->payloads.size() == 1);
    CHECK(outer->header == m.header);  // SPIs and message ID known before any crypto
    const auto* sk = outer->get<EncryptedPayload>(PayloadType::SK);
    REQUIRE(sk);
    CHECK(sk->ivOffset == kIkeHeaderLen + 4);
    CHECK(sk->firstInner == PayloadType::IDi);

    auto opened = openMessage(*bytes, *outer, cipher);
    REQUIRE(opened);
    CHECK(opened->decrypted);
    CHECK(opened->header == m.header);
    CHECK(opened->payloads == m.payloads);
  }
}

TEST_CASE("an empty SK (INFORMATIONAL liveness check) round-trips", "[ike][wire][sk]") {
  test::XorSkCipher cipher;
  Message m;
  m.header.exchangeType = ExchangeType::Informational;
  auto bytes = encodeEncrypted(m, cipher);
  REQUIRE(bytes);
  auto outer = decodeMessage(*bytes);
  REQUIRE(outer);
  CHECK(outer->get<EncryptedPayload>(PayloadType::SK)->firstInner == PayloadType::NoNext);
  auto opened = openMessage(*bytes, *outer, cipher);
  REQUIRE(opened);
  CHECK(opened->payloads.empty());
}

TEST_CASE("SK faults", "[ike][wire][sk]") {
  test::XorSkCipher cipher;
  const Bytes good = *encodeEncrypted(authRequest(), cipher);

  SECTION("ICV failure on any flipped byte") {
    for (size_t i = 0; i < good.size(); ++i) {
      Bytes b = good;
      b[i] ^= 0x01;
      auto outer = decodeMessage(b);
      if (!outer) continue;  // a header/SK header fault caught before crypto
      auto r = openMessage(b, *outer, cipher);
      INFO("byte " << i);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == WireErrc::IcvFailure);
    }
  }
  SECTION("pad length past the plaintext") {
    Bytes b = resealed(good, cipher, [](std::span<uint8_t> p) { p.back() = static_cast<uint8_t>(p.size()); });
    auto outer = decodeMessage(b);
    REQUIRE(outer);
    auto r = openMessage(b, *outer, cipher);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == WireErrc::BadPadding);
  }
  SECTION("a bad inner chain is reported like an outer one") {
    // Inner IDi's length cut to 3: below the generic header.
    Bytes b = resealed(good, cipher, [](std::span<uint8_t> p) { p[3] = 3; });
    auto outer = decodeMessage(b);
    REQUIRE(outer);
    auto r = openMessage(b, *outer, cipher);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == WireErrc::BadPayloadLength);
    CHECK(r.error().payloadType == static_cast<uint8_t>(PayloadType::IDi));
  }
  SECTION("SK must be last") {
    Bytes b = good;
    b.insert(b.end(), {0, 0, 0, 0});
    storeBe32(b.data() + 24, static_cast<uint32_t>(b.size()));
    auto r = decodeMessage(b);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == WireErrc::SkNotLast);
  }
  SECTION("SK shorter than IV + ICV") {
    Bytes b(good.begin(), good.begin() + kIkeHeaderLen + 4 + 10);
    storeBe32(b.data() + 24, static_cast<uint32_t>(b.size()));
    storeBe16(b.data() + kIkeHeaderLen + 2, 14);
    auto outer = decodeMessage(b);
    REQUIRE(outer);
    auto r = openMessage(b, *outer, cipher);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == WireErrc::BadEncrypted);
  }
  SECTION("SK nested in SK") {
    auto r = decodeChain(PayloadType::SK, Bytes{0, 0, 0, 4});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == WireErrc::BadEncrypted);
  }
  SECTION("opening a plain message") {
    Message plain = authRequest();
    Bytes b = *encodeMessage(plain);
    auto outer = decodeMessage(b);
    REQUIRE(outer);
    CHECK(openMessage(b, *outer, cipher).error().code == WireErrc::NotEncrypted);
  }
}

TEST_CASE("every truncation and corruption of an SK message is an error or a stable message", "[ike][wire][sk]") {
  test::XorSkCipher cipher;
  const Bytes good = *encodeEncrypted(authRequest(), cipher);
  auto probe = [&](Bytes b) {
    auto outer = decodeMessage(b);
    if (!outer) return;
    auto r = openMessage(b, *outer, cipher);
    if (r) CHECK(encodeMessage(*r));
  };
  for (size_t n = 0; n < good.size(); ++n) {
    Bytes t(good.begin(), good.begin() + n);
    if (n >= kIkeHeaderLen) storeBe32(t.data() + 24, static_cast<uint32_t>(n));
    probe(t);
  }
  // Corrupt the plaintext byte by byte and re-seal, so the inner parser sees it.
  const size_t plainLen = good.size() - kIkeHeaderLen - 4 - cipher.ivLength() - cipher.icvLength();
  for (size_t i = 0; i < plainLen; ++i)
    for (uint8_t v : {0x00, 0xff, 0x03}) probe(resealed(good, cipher, [&](std::span<uint8_t> p) { p[i] = v; }));
}
