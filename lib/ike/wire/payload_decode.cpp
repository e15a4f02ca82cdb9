// Payload body decoders. Each one walks a ByteReader over exactly the body the
// generic header delimited, checks every nested length against its parent and
// demands that the parts add up to the whole (after VPP ikev2_payload.c).
#include <algorithm>

#include "ike/wire/payload_codec.hpp"
#include "util/byte_reader.hpp"

namespace ipsecgw::ike {

namespace {

constexpr uint8_t kLastSubstructure = 0;
constexpr uint8_t kMoreProposals = 2;   // RFC 7296 3.3.1
constexpr uint8_t kMoreTransforms = 3;  // RFC 7296 3.3.2
constexpr uint16_t kAttrFormatTv = 0x8000;  // RFC 7296 3.3.5, AF bit

Bytes copy(std::span<const uint8_t> s) { return Bytes(s.begin(), s.end()); }

Unexpected<WireError> fail(WireErrc code, PayloadType type) {
  return wireError(code, static_cast<uint8_t>(type));
}

// RFC 7296 3.3.5: attributes fill the rest of the transform exactly.
bool decodeAttributes(std::span<const uint8_t> attrs, Transform& t) {
  ByteReader r(attrs);
  while (r.remaining() > 0) {
    uint16_t typeField;
    if (!r.readU16(typeField)) return false;
    const uint16_t attrType = typeField & ~kAttrFormatTv;
    if (typeField & kAttrFormatTv) {
      uint16_t value;
      if (!r.readU16(value)) return false;
      if (attrType == kAttrKeyLength) {
        if (t.keyLength) return false;  // a second Key Length is ambiguous
        t.keyLength = value;
      } else {
        t.hasUnknownAttribute = true;
      }
    } else {
      uint16_t len;
      if (!r.readU16(len) || !r.skip(len)) return false;
      if (attrType == kAttrKeyLength) return false;  // Key Length is TV only
      t.hasUnknownAttribute = true;
    }
  }
  return true;
}

// RFC 7296 3.3.2. `r` is positioned at the transform; `last` says whether the
// proposal's transform count says this is its last one.
bool decodeTransform(ByteReader& r, bool last, Transform& t) {
  uint8_t more, reserved, type, reserved2;
  uint16_t length, id;
  if (!r.readU8(more) || !r.readU8(reserved) || !r.readU16(length)) return false;
  if (more != (last ? kLastSubstructure : kMoreTransforms)) return false;
  if (length < 8 || size_t{length} - 4 > r.remaining()) return false;
  if (!r.readU8(type) || !r.readU8(reserved2) || !r.readU16(id)) return false;
  std::span<const uint8_t> attrs;
  if (!r.readBytes(length - 8u, attrs)) return false;
  t.type = static_cast<TransformType>(type);
  t.id = id;
  return decodeAttributes(attrs, t);
}

WireResult<Proposal> decodeProposal(ByteReader& r, uint8_t& more) {
  constexpr auto kSa = PayloadType::SA;
  uint8_t reserved = 0, number = 0, protocol = 0, spiSize = 0, numTransforms = 0;
  uint16_t length = 0;
  if (!r.readU8(more) || !r.readU8(reserved) || !r.readU16(length)) return fail(WireErrc::BadProposal, kSa);
  if (more != kLastSubstructure && more != kMoreProposals) return fail(WireErrc::BadProposal, kSa);
  if (length < 8 || size_t{length} - 4 > r.remaining()) return fail(WireErrc::BadProposal, kSa);
  std::span<const uint8_t> rest;
  r.readBytes(length - 4u, rest);
  ByteReader pr(rest);
  pr.readU8(number);
  pr.readU8(protocol);
  pr.readU8(spiSize);
  pr.readU8(numTransforms);
  Proposal p;
  p.number = number;
  p.protocol = static_cast<ProtocolId>(protocol);
  std::span<const uint8_t> spi;
  if (!pr.readBytes(spiSize, spi)) return fail(WireErrc::BadProposal, kSa);
  p.spi = copy(spi);
  // A proposal without transforms cannot be chosen (RFC 7296 3.3.1).
  if (numTransforms == 0) return fail(WireErrc::BadTransform, kSa);
  p.transforms.resize(numTransforms);
  for (unsigned i = 0; i < numTransforms; ++i)
    if (!decodeTransform(pr, i + 1u == numTransforms, p.transforms[i])) return fail(WireErrc::BadTransform, kSa);
  if (pr.remaining() != 0) return fail(WireErrc::BadTransform, kSa);
  return p;
}

// RFC 7296 3.3: proposals in order, numbered consecutively (a reply carries
// the one accepted, with its original number, so the first need not be 1
// there); "last" field 0 exactly on the last one.
WireResult<PayloadBody> decodeSa(std::span<const uint8_t> body) {
  ByteReader r(body);
  SaPayload sa;
  uint8_t more = kMoreProposals;
  while (more == kMoreProposals) {
    if (r.remaining() == 0) return fail(WireErrc::BadProposal, PayloadType::SA);
    auto p = decodeProposal(r, more);
    if (!p) return unexpected(p.error());
    const uint8_t expected = sa.proposals.empty() ? p->number : sa.proposals.back().number + 1;
    if (p->number == 0 || p->number != expected) return fail(WireErrc::BadProposal, PayloadType::SA);
    sa.proposals.push_back(std::move(*p));
  }
  if (r.remaining() != 0) return fail(WireErrc::BadProposal, PayloadType::SA);
  return PayloadBody(std::move(sa));
}

// RFC 7296 3.13.1: the selector length must be exactly that of its type.
WireResult<PayloadBody> decodeTs(PayloadType type, std::span<const uint8_t> body) {
  ByteReader r(body);
  uint8_t count;
  if (!r.readU8(count) || !r.skip(3)) return fail(WireErrc::BadTrafficSelector, type);
  TsPayload ts;
  for (unsigned i = 0; i < count; ++i) {
    uint8_t tsType, proto;
    uint16_t length;
    if (!r.readU8(tsType) || !r.readU8(proto) || !r.readU16(length)) return fail(WireErrc::BadTrafficSelector, type);
    TrafficSelector s;
    s.type = static_cast<TsType>(tsType);
    if (s.type != TsType::Ipv4AddrRange && s.type != TsType::Ipv6AddrRange)
      return fail(WireErrc::BadTrafficSelector, type);
    const size_t addrLen = s.addressLength();
    if (length != 8 + 2 * addrLen) return fail(WireErrc::BadTrafficSelector, type);
    std::span<const uint8_t> start, end;
    s.ipProtocol = proto;
    if (!r.readU16(s.startPort) || !r.readU16(s.endPort) || !r.readBytes(addrLen, start) ||
        !r.readBytes(addrLen, end))
      return fail(WireErrc::BadTrafficSelector, type);
    std::copy(start.begin(), start.end(), s.startAddress.begin());
    std::copy(end.begin(), end.end(), s.endAddress.begin());
    ts.selectors.push_back(s);
  }
  if (r.remaining() != 0) return fail(WireErrc::BadTrafficSelector, type);
  return PayloadBody(std::move(ts));
}

// RFC 7296 3.11: IKE SA deletes carry SPI size 0 and no SPIs; ESP/AH 4-byte SPIs.
WireResult<PayloadBody> decodeDelete(std::span<const uint8_t> body) {
  ByteReader r(body);
  uint8_t protocol, spiSize;
  uint16_t count;
  if (!r.readU8(protocol) || !r.readU8(spiSize) || !r.readU16(count)) return fail(WireErrc::BadDelete, PayloadType::Delete);
  DeletePayload d;
  d.protocol = static_cast<ProtocolId>(protocol);
  const bool ike = d.protocol == ProtocolId::Ike;
  const bool childSa = d.protocol == ProtocolId::Esp || d.protocol == ProtocolId::Ah;
  if (!(ike && spiSize == 0 && count == 0) && !(childSa && spiSize == 4))
    return fail(WireErrc::BadDelete, PayloadType::Delete);
  if (r.remaining() != size_t{spiSize} * count) return fail(WireErrc::BadDelete, PayloadType::Delete);
  d.spis.resize(count);
  for (uint32_t& spi : d.spis) r.readU32(spi);
  return PayloadBody(std::move(d));
}

WireResult<PayloadBody> decodeNotify(std::span<const uint8_t> body) {
  ByteReader r(body);
  uint8_t protocol, spiSize;
  uint16_t type;
  std::span<const uint8_t> spi;
  if (!r.readU8(protocol) || !r.readU8(spiSize) || !r.readU16(type) || !r.readBytes(spiSize, spi))
    return fail(WireErrc::BadNotify, PayloadType::Notify);
  NotifyPayload n;
  n.protocol = static_cast<ProtocolId>(protocol);
  n.spi = copy(spi);
  n.type = static_cast<NotifyType>(type);
  n.data = copy(r.rest());
  return PayloadBody(std::move(n));
}

}  // namespace

bool isModelledPayloadType(uint8_t type) {
  switch (static_cast<PayloadType>(type)) {
    case PayloadType::SA:
    case PayloadType::KE:
    case PayloadType::IDi:
    case PayloadType::IDr:
    case PayloadType::CERT:
    case PayloadType::CERTREQ:
    case PayloadType::AUTH:
    case PayloadType::Nonce:
    case PayloadType::Notify:
    case PayloadType::Delete:
    case PayloadType::VendorID:
    case PayloadType::TSi:
    case PayloadType::TSr:
    case PayloadType::CP:
    case PayloadType::EAP:
    case PayloadType::GSPM:
      return true;
    default:
      return false;
  }
}

WireResult<PayloadBody> decodePayloadBody(PayloadType type, std::span<const uint8_t> body) {
  ByteReader r(body);
  switch (type) {
    case PayloadType::SA:
      return decodeSa(body);
    case PayloadType::KE: {  // RFC 7296 3.4: group, 2 reserved bytes, data
      KePayload ke;
      if (!r.readU16(ke.group) || !r.skip(2)) return fail(WireErrc::BadKe, type);
      ke.data = copy(r.rest());
      return PayloadBody(std::move(ke));
    }
    case PayloadType::IDi:
    case PayloadType::IDr: {  // RFC 7296 3.5: type, 3 reserved bytes, data
      uint8_t idType;
      if (!r.readU8(idType) || !r.skip(3)) return fail(WireErrc::BadId, type);
      return PayloadBody(IdPayload{static_cast<IdType>(idType), copy(r.rest())});
    }
    case PayloadType::CERT:
    case PayloadType::CERTREQ: {  // RFC 7296 3.6, 3.7: encoding, data
      uint8_t encoding;
      if (!r.readU8(encoding)) return fail(WireErrc::BadCert, type);
      return PayloadBody(CertPayload{encoding, copy(r.rest())});
    }
    case PayloadType::AUTH: {  // RFC 7296 3.8: method, 3 reserved bytes, data
      uint8_t method;
      if (!r.readU8(method) || !r.skip(3)) return fail(WireErrc::BadAuth, type);
      return PayloadBody(AuthPayload{static_cast<AuthMethod>(method), copy(r.rest())});
    }
    case PayloadType::Nonce:  // RFC 7296 3.9: "at least 128 bits ... and at most 2048 bits"
      if (body.size() < 16 || body.size() > 256) return fail(WireErrc::BadNonce, type);
      return PayloadBody(NoncePayload{copy(body)});
    case PayloadType::Notify:
      return decodeNotify(body);
    case PayloadType::Delete:
      return decodeDelete(body);
    case PayloadType::VendorID:
      return PayloadBody(VendorIdPayload{copy(body)});
    case PayloadType::TSi:
    case PayloadType::TSr:
      return decodeTs(type, body);
    default:  // CP, EAP, GSPM: kept verbatim for the layer that reads them
      return PayloadBody(RawPayload{copy(body)});
  }
}

}  // namespace ipsecgw::ike
