// Malformed datagrams: each structural fault gives its own error, and no
// truncation or single-byte corruption of a full message crashes the decoder
// or yields something that does not re-encode stably.
#include <catch2/catch.hpp>

#include "ike/wire/message_codec.hpp"
#include "sample_messages.hpp"
#include "util/byte_order.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;

namespace {

Bytes encoded(const Message& m) {
  auto b = encodeMessage(m);
  REQUIRE(b);
  return *b;
}

Message with(PayloadType type, PayloadBody body, bool critical = false) {
  Message m;
  m.add(type, std::move(body), critical);
  return m;
}

WireErrc errorOf(const Bytes& b) {
  auto r = decodeMessage(b);
  REQUIRE_FALSE(r);
  return r.error().code;
}

void setLength(Bytes& b) { storeBe32(b.data() + 24, static_cast<uint32_t>(b.size())); }

// A decoded message must re-encode, and that encoding must be a fixpoint.
// One that ends in SK/SKF (a corrupted type byte can make one) is not
// re-encodable as plain; its IV offset must lie inside the datagram.
void checkStable(const Message& decoded, size_t datagramSize) {
  if (!decoded.payloads.empty()) {
    if (const auto* e = std::get_if<EncryptedPayload>(&decoded.payloads.back().body)) {
      CHECK(e->ivOffset <= datagramSize);
      return;
    }
  }
  auto once = encodeMessage(decoded);
  REQUIRE(once);
  auto again = decodeMessage(*once);
  REQUIRE(again);
  auto twice = encodeMessage(*again);
  REQUIRE(twice);
  CHECK(*twice == *once);
}

}  // namespace

TEST_CASE("header faults", "[ike][wire]") {
  Bytes b = encoded(test::everyPayloadMessage());
  CHECK(errorOf(Bytes(b.begin(), b.begin() + 27)) == WireErrc::TruncatedHeader);
  CHECK(errorOf(Bytes{}) == WireErrc::TruncatedHeader);
  Bytes v = b;
  v[17] = 0x10;  // IKEv1
  CHECK(errorOf(v) == WireErrc::BadVersion);
  v[17] = 0x30;  // a future major version
  CHECK(errorOf(v) == WireErrc::BadVersion);
  v[17] = 0x21;  // minor versions are accepted and kept
  auto minor = decodeMessage(v);
  REQUIRE(minor);
  CHECK(minor->header.minorVersion == 1);
  Bytes l = b;
  storeBe32(l.data() + 24, static_cast<uint32_t>(b.size() + 1));
  CHECK(errorOf(l) == WireErrc::LengthMismatch);
  Bytes extra = b;
  extra.push_back(0);
  CHECK(errorOf(extra) == WireErrc::LengthMismatch);
  setLength(extra);  // now the chain ends before the datagram does
  CHECK(errorOf(extra) == WireErrc::TrailingBytes);
}

TEST_CASE("generic payload header faults", "[ike][wire]") {
  Bytes b = encoded(with(PayloadType::Nonce, NoncePayload{test::filled(16, 1)}));
  Bytes shortLen = b;
  storeBe16(shortLen.data() + 30, 3);
  CHECK(errorOf(shortLen) == WireErrc::BadPayloadLength);
  Bytes longLen = b;
  storeBe16(longLen.data() + 30, 21);
  CHECK(errorOf(longLen) == WireErrc::BadPayloadLength);
  Bytes dangling = b;
  dangling[28] = static_cast<uint8_t>(PayloadType::Notify);  // a next payload that is not there
  auto r = decodeMessage(dangling);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == WireErrc::TruncatedPayload);
  CHECK(r.error().payloadType == static_cast<uint8_t>(PayloadType::Notify));
}

TEST_CASE("unknown payloads: skipped unless critical", "[ike][wire]") {
  const auto unknown = static_cast<PayloadType>(200);
  Message m;
  m.add(NoncePayload{test::filled(16, 1)});
  m.add(unknown, RawPayload{Bytes{1, 2, 3}}, false);
  m.add(NotifyPayload{ProtocolId::None, {}, NotifyType::Cookie, Bytes(8, 9)});
  auto ok = decodeMessage(encoded(m));
  REQUIRE(ok);
  REQUIRE(ok->payloads.size() == 2);  // the unknown one is skipped, the chain continues past it
  CHECK(ok->payloads[1].type == PayloadType::Notify);

  m.payloads[1].critical = true;
  auto r = decodeMessage(encoded(m));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == WireErrc::UnsupportedCriticalPayload);
  CHECK(r.error().payloadType == 200);

  // The critical bit on a known payload is kept but changes nothing.
  Message known;
  known.add(PayloadType::Nonce, NoncePayload{test::filled(16, 1)}, true);
  auto k = decodeMessage(encoded(known));
  REQUIRE(k);
  CHECK(k->payloads[0].critical);
}

TEST_CASE("SA proposal and transform structure", "[ike][wire]") {
  // SA body starts at 32: proposal 1 (3 transforms, 36 bytes) then proposal 2 at 68.
  const Bytes b = encoded(with(PayloadType::SA, test::sampleSa()));
  REQUIRE(decodeMessage(b));
  auto expectError = [&](size_t at, uint8_t value, WireErrc want) {
    Bytes c = b;
    c[at] = value;
    INFO("byte " << at << " = " << int(value));
    CHECK(errorOf(c) == want);
  };
  expectError(32, 0, WireErrc::BadProposal);     // proposal 1 claims to be last
  expectError(32, 3, WireErrc::BadProposal);     // neither 0 nor 2
  expectError(68, 2, WireErrc::BadProposal);     // last proposal claims more follow
  expectError(36, 0, WireErrc::BadProposal);     // proposal number 0
  expectError(72, 3, WireErrc::BadProposal);     // numbering 1, 3
  expectError(34, 1, WireErrc::BadProposal);     // proposal length past the SA
  expectError(35, 35, WireErrc::BadTransform);   // proposal length cuts the last transform
  expectError(39, 2, WireErrc::BadTransform);    // transform count short of the transforms
  expectError(39, 4, WireErrc::BadTransform);    // count beyond them
  expectError(39, 0, WireErrc::BadTransform);    // no transforms
  expectError(40, 0, WireErrc::BadTransform);    // first transform claims to be last
  expectError(43, 7, WireErrc::BadTransform);    // transform length below 8
  expectError(48, 0x00, WireErrc::BadTransform); // Key Length in TLV form
  expectError(38, 1, WireErrc::BadTransform);    // SPI size eats into the transforms
}

TEST_CASE("Key Length attribute and unknown attributes", "[ike][wire]") {
  const Bytes b = encoded(with(PayloadType::SA, test::sampleSa()));
  Bytes c = b;
  c[49] = 15;  // attribute type 15 (TV): not Key Length
  auto r = decodeMessage(c);
  REQUIRE(r);
  const Transform& t = r->get<SaPayload>(PayloadType::SA)->proposals[0].transforms[0];
  CHECK(t.hasUnknownAttribute);
  CHECK_FALSE(t.keyLength);
  auto ok = decodeMessage(b);
  REQUIRE(ok);
  CHECK(ok->get<SaPayload>(PayloadType::SA)->proposals[0].transforms[0].keyLength == 256);
}

TEST_CASE("a reply's single proposal may carry the chosen number", "[ike][wire]") {
  SaPayload sa = test::sampleSa();
  sa.proposals.erase(sa.proposals.begin());  // keep proposal #2 only
  auto r = decodeMessage(encoded(with(PayloadType::SA, sa)));
  REQUIRE(r);
  CHECK(r->get<SaPayload>(PayloadType::SA)->proposals[0].number == 2);
}

TEST_CASE("traffic selector lengths and types", "[ike][wire]") {
  // TS body at 32: count, 3 reserved; selector at 36: type, protocol, length (38..39).
  const Bytes v4 = encoded(with(PayloadType::TSi, TsPayload{{TrafficSelector::ipv4({10, 0, 0, 1}, {10, 0, 0, 9})}}));
  REQUIRE(decodeMessage(v4));
  Bytes c = v4;
  c[39] = 17;
  CHECK(errorOf(c) == WireErrc::BadTrafficSelector);
  c = v4;
  c[36] = 8;  // says IPv6 with an IPv4 length
  CHECK(errorOf(c) == WireErrc::BadTrafficSelector);
  c = v4;
  c[36] = 9;  // TS_FC_ADDR_RANGE: not supported
  CHECK(errorOf(c) == WireErrc::BadTrafficSelector);
  c = v4;
  c[32] = 2;  // count beyond the selectors
  CHECK(errorOf(c) == WireErrc::BadTrafficSelector);
  c = v4;
  c[32] = 0;  // count short of them
  CHECK(errorOf(c) == WireErrc::BadTrafficSelector);

  std::array<uint8_t, 16> a{0xfe, 0x80};
  const Bytes v6 = encoded(with(PayloadType::TSr, TsPayload{{TrafficSelector::ipv6(a, a)}}));
  REQUIRE(decodeMessage(v6));
  c = v6;
  c[39] = 20;  // the length scapy's IPv6TrafficSelector defaults to; RFC 7296 says 40
  CHECK(errorOf(c) == WireErrc::BadTrafficSelector);
}

TEST_CASE("nonce, delete, notify, KE, ID, AUTH, CERT bounds", "[ike][wire]") {
  CHECK(errorOf(encoded(with(PayloadType::Nonce, NoncePayload{Bytes(15, 1)}))) == WireErrc::BadNonce);
  CHECK(errorOf(encoded(with(PayloadType::Nonce, NoncePayload{Bytes(257, 1)}))) == WireErrc::BadNonce);
  CHECK(decodeMessage(encoded(with(PayloadType::Nonce, NoncePayload{Bytes(256, 1)}))));

  // Delete body at 32: protocol, SPI size, count (34..35), SPIs.
  const Bytes d = encoded(with(PayloadType::Delete, DeletePayload{ProtocolId::Esp, {1, 2}}));
  Bytes c = d;
  c[35] = 3;
  CHECK(errorOf(c) == WireErrc::BadDelete);
  c = d;
  c[33] = 8;
  CHECK(errorOf(c) == WireErrc::BadDelete);
  c = d;
  c[32] = 1;  // IKE with SPIs
  CHECK(errorOf(c) == WireErrc::BadDelete);

  const Bytes n = encoded(with(PayloadType::Notify, NotifyPayload{ProtocolId::Esp, Bytes(4, 1), NotifyType::RekeySa, {}}));
  c = n;
  c[33] = 5;  // SPI size past the body
  CHECK(errorOf(c) == WireErrc::BadNotify);

  auto tiny = [](PayloadType t, size_t bodyLen) {
    Bytes b = encoded(with(t, RawPayload{Bytes(bodyLen, 0)}));
    return errorOf(b);
  };
  CHECK(tiny(PayloadType::KE, 3) == WireErrc::BadKe);
  CHECK(tiny(PayloadType::IDi, 3) == WireErrc::BadId);
  CHECK(tiny(PayloadType::AUTH, 3) == WireErrc::BadAuth);
  CHECK(tiny(PayloadType::CERT, 0) == WireErrc::BadCert);
  CHECK(tiny(PayloadType::Notify, 3) == WireErrc::BadNotify);
  CHECK(tiny(PayloadType::Delete, 3) == WireErrc::BadDelete);
  CHECK(tiny(PayloadType::TSi, 3) == WireErrc::BadTrafficSelector);
  CHECK(tiny(PayloadType::SA, 0) == WireErrc::BadProposal);
}

TEST_CASE("every truncation and single-byte corruption decodes to an error or a stable message", "[ike][wire]") {
  const Bytes full = encoded(test::everyPayloadMessage());
  size_t accepted = 0, rejected = 0;
  auto probe = [&](const Bytes& b) {
    auto r = decodeMessage(b);
    if (r) {
      ++accepted;
      checkStable(*r, b.size());
    } else {
      ++rejected;
      CHECK(r.error().code < WireErrc::Count);
    }
  };
  for (size_t n = 0; n < full.size(); ++n) {
    Bytes t(full.begin(), full.begin() + n);
    probe(t);                  // header length now wrong
    if (n >= kIkeHeaderLen) {  // and with it matching, so the chain walk sees the cut
      setLength(t);
      probe(t);
    }
  }
  for (size_t i = 0; i < full.size(); ++i) {
    for (int delta : {1, -1, 4, -4, 0x80}) {
      Bytes c = full;
      c[i] = static_cast<uint8_t>(c[i] + delta);
      probe(c);
    }
    for (uint8_t v : {0x00, 0xff}) {
      Bytes c = full;
      c[i] = v;
      probe(c);
    }
  }
  INFO("accepted " << accepted << " rejected " << rejected);
  CHECK(accepted > 0);
  CHECK(rejected > full.size());
}

TEST_CASE("encoder refuses what it cannot lay out", "[ike][wire]") {
  CHECK(encodeMessage(with(PayloadType::Nonce, NoncePayload{Bytes(70000, 1)})).error().code == WireErrc::TooLong);
  CHECK(encodeMessage(with(PayloadType::SK, EncryptedPayload{})).error().code == WireErrc::BadEncrypted);
  CHECK(encodeMessage(with(PayloadType::Delete, DeletePayload{ProtocolId::Ike, {1}})).error().code ==
        WireErrc::BadDelete);
  TrafficSelector bad;
  bad.type = static_cast<TsType>(9);
  CHECK(encodeMessage(with(PayloadType::TSi, TsPayload{{bad}})).error().code == WireErrc::BadTrafficSelector);
}
