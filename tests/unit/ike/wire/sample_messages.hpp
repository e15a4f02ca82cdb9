// Messages that hold every payload type the codec models, for round trips.
#pragma once

#include "ike/wire/message.hpp"

namespace ipsecgw::ike::test {

inline Bytes filled(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + 7 * i);
  return b;
}

inline SaPayload sampleSa() {
  using namespace transform_id;
  Proposal gcm{1, ProtocolId::Ike, {},
               {{TransformType::Encr, kEncrAesGcm16, 256}, {TransformType::Prf, kPrfHmacSha2_256, {}},
                {TransformType::Dh, kDhCurve25519, {}}}};
  Proposal cbc{2, ProtocolId::Ike, {},
               {{TransformType::Encr, kEncrAesCbc, 128}, {TransformType::Prf, kPrfHmacSha2_384, {}},
                {TransformType::Integ, kIntegHmacSha2_256_128, {}}, {TransformType::Dh, kDhEcp256, {}}}};
  return SaPayload{{gcm, cbc}};
}

// Header + every modelled payload once (both ID and TS directions, IKE and ESP deletes).
inline Message everyPayloadMessage() {
  Message m;
  m.header = Header{0x0102030405060708ull, 0x1112131415161718ull, 2, 0, ExchangeType::IkeAuth, kFlagInitiator, 1};
  m.add(sampleSa());
  m.add(KePayload{31, filled(32, 1)});
  m.add(PayloadType::IDi, IdPayload{IdType::Fqdn, Bytes{'g', 'w', '1'}});
  m.add(PayloadType::IDr, IdPayload{IdType::Ipv4Addr, Bytes{192, 0, 2, 1}});
  m.add(PayloadType::CERT, CertPayload{4, filled(40, 2)});
  m.add(PayloadType::CERTREQ, CertPayload{4, filled(20, 3)});
  m.add(AuthPayload{AuthMethod::SharedKeyMic, filled(32, 4)});
  m.add(NoncePayload{filled(32, 5)});
  m.add(NotifyPayload{ProtocolId::None, {}, NotifyType::InitialContact, {}});
  m.add(NotifyPayload{ProtocolId::Esp, Bytes{1, 2, 3, 4}, NotifyType::RekeySa, {}});
  m.add(NotifyPayload{ProtocolId::None, {}, NotifyType::NatDetectionSourceIp, filled(20, 6)});
  m.add(DeletePayload{ProtocolId::Esp, {0xdeadbeef, 0x01020304}});
  m.add(DeletePayload{ProtocolId::Ike, {}});
  m.add(VendorIdPayload{filled(16, 7)});
  m.add(PayloadType::TSi, TsPayload{{TrafficSelector::ipv4({10, 0, 0, 0}, {10, 0, 0, 255}),
                                     TrafficSelector::ipv4({10, 1, 0, 1}, {10, 1, 0, 1}, 6, 80, 443)}});
  std::array<uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8}, b{0x20, 0x01, 0x0d, 0xb8};
  b[15] = 0xff;
  m.add(PayloadType::TSr, TsPayload{{TrafficSelector::ipv6(a, b, 17, 500, 500)}});
  m.add(PayloadType::CP, RawPayload{filled(8, 8)});
  return m;
}

}  // namespace ipsecgw::ike::test
