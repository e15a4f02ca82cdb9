// Encode -> decode -> encode of every payload type, plus the header fields
// and lookup helpers of the message model.
#include <catch2/catch.hpp>
#include <set>

#include "ike/wire/message_codec.hpp"
#include "sample_messages.hpp"
#include "util/byte_order.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;

TEST_CASE("every payload survives encode and decode unchanged", "[ike][wire]") {
  const Message m = test::everyPayloadMessage();
  auto bytes = encodeMessage(m);
  REQUIRE(bytes);
  REQUIRE(bytes->size() == loadBe32(bytes->data() + 24));  // length = datagram size

  auto back = decodeMessage(*bytes);
  REQUIRE(back);
  CHECK(back->header == m.header);
  REQUIRE(back->payloads.size() == m.payloads.size());
  for (size_t i = 0; i < m.payloads.size(); ++i) {
    INFO("payload " << i << " " << name(m.payloads[i].type));
    CHECK(back->payloads[i] == m.payloads[i]);
  }
  auto again = encodeMessage(*back);
  REQUIRE(again);
  CHECK(*again == *bytes);
}

TEST_CASE("each payload alone round-trips", "[ike][wire]") {
  const Message all = test::everyPayloadMessage();
  for (const Payload& p : all.payloads) {
    INFO(name(p.type));
    Message one;
    one.header = all.header;
    one.payloads = {p};
    auto bytes = encodeMessage(one);
    REQUIRE(bytes);
    CHECK((*bytes)[16] == static_cast<uint8_t>(p.type));  // header's Next Payload
    auto back = decodeMessage(*bytes);
    REQUIRE(back);
    CHECK(*back == one);
  }
}

TEST_CASE("header fields are laid out as RFC 7296 3.1 says", "[ike][wire]") {
  Message m;
  m.header = Header{0xa1a2a3a4a5a6a7a8ull, 0, 2, 0, ExchangeType::IkeSaInit, kFlagInitiator, 0};
  auto bytes = encodeMessage(m);
  REQUIRE(bytes);
  REQUIRE(bytes->size() == kIkeHeaderLen);
  const Bytes want = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0, 0, 0, 0, 0, 0, 0, 0,
                      0,    0x20, 34,   0x08, 0,    0,    0,    0,    0, 0, 0, 28};
  CHECK(*bytes == want);
  auto h = decodeHeader(*bytes);
  REQUIRE(h);
  CHECK(h->isInitiator());
  CHECK_FALSE(h->isResponse());
  CHECK(h->exchangeType == ExchangeType::IkeSaInit);
}

TEST_CASE("SA payload bytes: proposal and transform substructures", "[ike][wire]") {
  Message m;
  m.add(SaPayload{{Proposal{1, ProtocolId::Esp, Bytes{0xc0, 0xff, 0xee, 0x01},
                            {{TransformType::Encr, transform_id::kEncrAesGcm16, 128},
                             {TransformType::Esn, transform_id::kEsnNone, {}}}}}});
  auto bytes = encodeMessage(m);
  REQUIRE(bytes);
  const Bytes body(bytes->begin() + kIkeHeaderLen, bytes->end());
  const Bytes want = {
      0, 0, 0, 36,                            // SA generic header: last, length 36
      0, 0, 0, 32, 1, 3, 4, 2,                // proposal: last, len 32, #1, ESP, SPI size 4, 2 transforms
      0xc0, 0xff, 0xee, 0x01,                 // SPI
      3, 0, 0, 12, 1, 0, 0, 20, 0x80, 14, 0, 128,  // ENCR AES-GCM-16, Key Length 128 (TV)
      0, 0, 0, 8, 5, 0, 0, 0,                 // ESN none, last
  };
  CHECK(body == want);
}

TEST_CASE("lookup helpers find payloads and notifies", "[ike][wire]") {
  const Message m = test::everyPayloadMessage();
  REQUIRE(m.get<SaPayload>(PayloadType::SA) != nullptr);
  CHECK(m.get<SaPayload>(PayloadType::SA)->proposals.size() == 2);
  REQUIRE(m.get<TsPayload>(PayloadType::TSr) != nullptr);
  CHECK(m.get<TsPayload>(PayloadType::TSr)->selectors[0].type == TsType::Ipv6AddrRange);
  CHECK(m.get<KePayload>(PayloadType::SA) == nullptr);  // wrong body type
  CHECK(m.find(PayloadType::EAP) == nullptr);
  CHECK(m.findAll(PayloadType::Notify).size() == 3);
  CHECK(m.findAll(PayloadType::Delete).size() == 2);
  const NotifyPayload* rekey = m.findNotify(NotifyType::RekeySa);
  REQUIRE(rekey != nullptr);
  CHECK(rekey->spi == Bytes{1, 2, 3, 4});
  CHECK(m.findNotify(NotifyType::Cookie) == nullptr);
  CHECK(m.firstErrorNotify() == nullptr);

  Message err;
  err.add(NotifyPayload{ProtocolId::None, {}, NotifyType::Cookie, Bytes(8, 1)});
  err.add(NotifyPayload{ProtocolId::None, {}, NotifyType::InvalidKePayload, Bytes{0, 19}});
  REQUIRE(err.firstErrorNotify() != nullptr);
  CHECK(err.firstErrorNotify()->type == NotifyType::InvalidKePayload);
}

TEST_CASE("constants carry their RFC/IANA numbers and names", "[ike][wire]") {
  CHECK(static_cast<uint16_t>(NotifyType::Ikev2FragmentationSupported) == 16430);
  CHECK(static_cast<uint16_t>(NotifyType::SignatureHashAlgorithms) == 16431);
  CHECK(static_cast<uint16_t>(NotifyType::NatDetectionDestinationIp) == 16389);
  CHECK(static_cast<uint16_t>(NotifyType::TemporaryFailure) == 43);
  CHECK(static_cast<uint8_t>(PayloadType::SKF) == 53);
  CHECK(static_cast<uint8_t>(ExchangeType::Informational) == 37);
  CHECK(name(NotifyType::Ikev2FragmentationSupported) == "IKEV2_FRAGMENTATION_SUPPORTED");
  CHECK(name(static_cast<NotifyType>(12345)) == "UNKNOWN");
  CHECK(name(ExchangeType::CreateChildSa) == "CREATE_CHILD_SA");
  CHECK(name(PayloadType::TSi) == "TSi");
  CHECK(name(TsType::Ipv6AddrRange) == "TS_IPV6_ADDR_RANGE");
  CHECK(name(AuthMethod::DigitalSignature) == "DIGITAL_SIGNATURE");
  CHECK(isError(NotifyType::NoProposalChosen));
  CHECK_FALSE(isError(NotifyType::Cookie));
}

TEST_CASE("every wire error has its own name", "[ike][wire]") {
  std::set<std::string_view> names;
  for (size_t i = 0; i < static_cast<size_t>(WireErrc::Count); ++i) {
    auto n = wireErrorName(static_cast<WireErrc>(i));
    CHECK_FALSE(n.empty());
    CHECK_FALSE(wireErrorHelp(static_cast<WireErrc>(i)).empty());
    names.insert(n);
  }
  CHECK(names.size() == static_cast<size_t>(WireErrc::Count));
}
