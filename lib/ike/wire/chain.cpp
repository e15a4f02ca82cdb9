#include "ike/wire/chain.hpp"

#include "ike/wire/payload_codec.hpp"
#include "util/byte_reader.hpp"

namespace ipsecgw::ike {

namespace {

constexpr uint8_t kCriticalBit = 0x80;  // RFC 7296 3.2; the other 7 bits are RESERVED
constexpr size_t kGenericHeaderLen = 4;
constexpr size_t kSkfFieldsLen = 4;  // RFC 7383 2.5: Fragment Number, Total Fragments

// SK/SKF: everything up to the end of the datagram belongs to it (RFC 7296
// 3.14 "MUST be the last payload"), and its Next Payload names the first
// payload inside, so the walk stops here.
WireResult<Payload> readEncrypted(PayloadType type, uint8_t next, bool critical, std::span<const uint8_t> body,
                                  size_t bodyOffset) {
  EncryptedPayload e;
  // RFC 7383 2.5 wants Next Payload 0 in fragments after the first; a
  // non-zero value there is ignored (the reassembler takes fragment 1's).
  e.firstInner = static_cast<PayloadType>(next);
  e.ivOffset = static_cast<uint32_t>(bodyOffset);
  if (type == PayloadType::SKF) {
    ByteReader r(body);
    if (!r.readU16(e.fragmentNumber) || !r.readU16(e.totalFragments))
      return wireError(WireErrc::BadPayloadLength, static_cast<uint8_t>(type));
    // RFC 7383 2.5: numbering starts at 1 and never passes the total.
    if (e.fragmentNumber == 0 || e.totalFragments == 0 || e.fragmentNumber > e.totalFragments)
      return wireError(WireErrc::BadFragment, static_cast<uint8_t>(type));
    e.ivOffset += kSkfFieldsLen;
  }
  return Payload{type, critical, e};
}

}  // namespace

WireResult<std::vector<Payload>> walkChain(PayloadType first, std::span<const uint8_t> chain, size_t chainOffset,
                                           bool allowEncrypted) {
  std::vector<Payload> out;
  ByteReader r(chain);
  uint8_t type = static_cast<uint8_t>(first);
  while (type != static_cast<uint8_t>(PayloadType::NoNext)) {
    uint8_t next, flags;
    uint16_t length;
    if (!r.readU8(next) || !r.readU8(flags) || !r.readU16(length)) return wireError(WireErrc::TruncatedPayload, type);
    if (length < kGenericHeaderLen || length - kGenericHeaderLen > r.remaining())
      return wireError(WireErrc::BadPayloadLength, type);
    const size_t bodyOffset = chainOffset + r.position();
    std::span<const uint8_t> body;
    r.readBytes(length - kGenericHeaderLen, body);
    const bool critical = flags & kCriticalBit;
    const auto ptype = static_cast<PayloadType>(type);

    if (ptype == PayloadType::SK || ptype == PayloadType::SKF) {
      if (!allowEncrypted) return wireError(WireErrc::BadEncrypted, type);
      if (r.remaining() != 0) return wireError(WireErrc::SkNotLast, type);
      auto p = readEncrypted(ptype, next, critical, body, bodyOffset);
      if (!p) return unexpected(p.error());
      out.push_back(std::move(*p));
      return out;
    }
    if (isModelledPayloadType(type)) {
      auto b = decodePayloadBody(ptype, body);
      if (!b) return unexpected(b.error());
      out.push_back(Payload{ptype, critical, std::move(*b)});
    } else if (critical) {
      // RFC 7296 2.5: reject, and answer UNSUPPORTED_CRITICAL_PAYLOAD with this type.
      return wireError(WireErrc::UnsupportedCriticalPayload, type);
    }
    // else: unknown and not critical, skipped as RFC 7296 2.5 requires.
    type = next;
  }
  if (r.remaining() != 0) return wireError(WireErrc::TrailingBytes);
  return out;
}

std::optional<WireError> writeChain(std::span<const Payload> payloads, PayloadType after, ByteWriter& w) {
  for (size_t i = 0; i < payloads.size(); ++i) {
    const Payload& p = payloads[i];
    const size_t start = w.size();
    w.putU8(static_cast<uint8_t>(i + 1 < payloads.size() ? payloads[i + 1].type : after));
    w.putU8(p.critical ? kCriticalBit : 0);
    w.putU16(0);  // patched below
    if (auto err = encodePayloadBody(p, w)) return err;
    const size_t len = w.size() - start;
    if (len > 0xffff) return WireError{WireErrc::TooLong, static_cast<uint8_t>(p.type)};
    w.patchU16(start + 2, static_cast<uint16_t>(len));
  }
  return std::nullopt;
}

}  // namespace ipsecgw::ike
