// Payload body encoders, the inverse of payload_decode.cpp. Every count and
// nested length is checked against its field width: the encoder fails with
// TooLong rather than write a length that wrapped.
#include "ike/wire/payload_codec.hpp"

namespace ipsecgw::ike {

namespace {

constexpr uint8_t kLastSubstructure = 0;
constexpr uint8_t kMoreProposals = 2;
constexpr uint8_t kMoreTransforms = 3;
constexpr uint16_t kAttrFormatTv = 0x8000;

// Writes a u16 length covering [start, w.size()) at `at`, if it fits.
bool patchLength16(ByteWriter& w, size_t at, size_t start) {
  const size_t len = w.size() - start;
  if (len > 0xffff) return false;
  w.patchU16(at, static_cast<uint16_t>(len));
  return true;
}

std::optional<WireError> encodeSa(const SaPayload& sa, ByteWriter& w) {
  const WireError tooLong{WireErrc::TooLong, static_cast<uint8_t>(PayloadType::SA)};
  for (size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& p = sa.proposals[i];
    if (p.spi.size() > 0xff || p.transforms.size() > 0xff) return tooLong;
    const size_t start = w.size();
    w.putU8(i + 1 == sa.proposals.size() ? kLastSubstructure : kMoreProposals);
    w.putU8(0);
    w.putU16(0);  // proposal length, patched below
    w.putU8(p.number);
    w.putU8(static_cast<uint8_t>(p.protocol));
    w.putU8(static_cast<uint8_t>(p.spi.size()));
    w.putU8(static_cast<uint8_t>(p.transforms.size()));
    w.putBytes(p.spi);
    for (size_t j = 0; j < p.transforms.size(); ++j) {
      const Transform& t = p.transforms[j];
      w.putU8(j + 1 == p.transforms.size() ? kLastSubstructure : kMoreTransforms);
      w.putU8(0);
      w.putU16(t.keyLength ? 12 : 8);
      w.putU8(static_cast<uint8_t>(t.type));
      w.putU8(0);
      w.putU16(t.id);
      if (t.keyLength) {
        w.putU16(kAttrFormatTv | kAttrKeyLength);
        w.putU16(*t.keyLength);
      }
    }
    if (!patchLength16(w, start + 2, start)) return tooLong;
  }
  return std::nullopt;
}

std::optional<WireError> encodeTs(PayloadType type, const TsPayload& ts, ByteWriter& w) {
  if (ts.selectors.size() > 0xff) return WireError{WireErrc::TooLong, static_cast<uint8_t>(type)};
  w.putU8(static_cast<uint8_t>(ts.selectors.size()));
  w.putZeros(3);
  for (const TrafficSelector& s : ts.selectors) {
    if (s.type != TsType::Ipv4AddrRange && s.type != TsType::Ipv6AddrRange)
      return WireError{WireErrc::BadTrafficSelector, static_cast<uint8_t>(type)};
    const size_t addrLen = s.addressLength();
    w.putU8(static_cast<uint8_t>(s.type));
    w.putU8(s.ipProtocol);
    w.putU16(static_cast<uint16_t>(8 + 2 * addrLen));
    w.putU16(s.startPort);
    w.putU16(s.endPort);
    w.putBytes(std::span(s.startAddress).first(addrLen));
    w.putBytes(std::span(s.endAddress).first(addrLen));
  }
  return std::nullopt;
}

std::optional<WireError> encodeDelete(const DeletePayload& d, ByteWriter& w) {
  if (d.spis.size() > 0xffff) return WireError{WireErrc::TooLong, static_cast<uint8_t>(PayloadType::Delete)};
  // RFC 7296 3.11: an IKE SA delete has SPI size 0 and no SPIs.
  if (d.protocol == ProtocolId::Ike && !d.spis.empty())
    return WireError{WireErrc::BadDelete, static_cast<uint8_t>(PayloadType::Delete)};
  w.putU8(static_cast<uint8_t>(d.protocol));
  w.putU8(d.protocol == ProtocolId::Ike ? 0 : 4);
  w.putU16(static_cast<uint16_t>(d.spis.size()));
  for (uint32_t spi : d.spis) w.putU32(spi);
  return std::nullopt;
}

}  // namespace

std::optional<WireError> encodePayloadBody(const Payload& p, ByteWriter& w) {
  const auto mismatch = WireError{WireErrc::TooLong, static_cast<uint8_t>(p.type)};
  return std::visit(
      [&](const auto& b) -> std::optional<WireError> {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, SaPayload>) {
          return encodeSa(b, w);
        } else if constexpr (std::is_same_v<T, KePayload>) {
          w.putU16(b.group);
          w.putU16(0);
          w.putBytes(b.data);
        } else if constexpr (std::is_same_v<T, IdPayload>) {
          w.putU8(static_cast<uint8_t>(b.type));
          w.putZeros(3);
          w.putBytes(b.data);
        } else if constexpr (std::is_same_v<T, CertPayload>) {
          w.putU8(b.encoding);
          w.putBytes(b.data);
        } else if constexpr (std::is_same_v<T, AuthPayload>) {
          w.putU8(static_cast<uint8_t>(b.method));
          w.putZeros(3);
          w.putBytes(b.data);
        } else if constexpr (std::is_same_v<T, NoncePayload> || std::is_same_v<T, VendorIdPayload> ||
                             std::is_same_v<T, RawPayload>) {
          w.putBytes(b.data);
        } else if constexpr (std::is_same_v<T, NotifyPayload>) {
          if (b.spi.size() > 0xff) return mismatch;
          w.putU8(static_cast<uint8_t>(b.protocol));
          w.putU8(static_cast<uint8_t>(b.spi.size()));
          w.putU16(static_cast<uint16_t>(b.type));
          w.putBytes(b.spi);
          w.putBytes(b.data);
        } else if constexpr (std::is_same_v<T, DeletePayload>) {
          return encodeDelete(b, w);
        } else if constexpr (std::is_same_v<T, TsPayload>) {
          return encodeTs(p.type, b, w);
        } else {
          static_assert(std::is_same_v<T, EncryptedPayload>);
          // SK/SKF are laid out by encodeEncrypted()/encodeFragment(), never from a body.
          return WireError{WireErrc::BadEncrypted, static_cast<uint8_t>(p.type)};
        }
        return std::nullopt;
      },
      p.body);
}

}  // namespace ipsecgw::ike
