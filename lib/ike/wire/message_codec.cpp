#include "ike/wire/message_codec.hpp"

#include <algorithm>

#include "ike/wire/byte_writer.hpp"
#include "ike/wire/chain.hpp"
#include "util/byte_reader.hpp"

namespace ipsecgw::ike {

namespace {

constexpr size_t kGenericHeaderLen = 4;
constexpr size_t kSkfFieldsLen = 4;
constexpr uint8_t kMajorVersion = 2;
constexpr auto kSkf = static_cast<uint8_t>(PayloadType::SKF);

struct RawHeader {
  Header header;
  uint8_t nextPayload = 0;
};

WireResult<RawHeader> readHeader(std::span<const uint8_t> datagram) {
  ByteReader r(datagram);
  RawHeader h;
  uint8_t version = 0, exchange = 0;
  uint32_t length = 0;
  if (!r.readU64(h.header.spiI) || !r.readU64(h.header.spiR) || !r.readU8(h.nextPayload) || !r.readU8(version) ||
      !r.readU8(exchange) || !r.readU8(h.header.flags) || !r.readU32(h.header.messageId) || !r.readU32(length))
    return wireError(WireErrc::TruncatedHeader);
  h.header.majorVersion = version >> 4;
  h.header.minorVersion = version & 0x0f;
  h.header.exchangeType = static_cast<ExchangeType>(exchange);
  // RFC 7296 2.5: a major version above 2 is answered INVALID_MAJOR_VERSION by
  // the exchange layer; the codec only refuses to parse it.
  if (h.header.majorVersion != kMajorVersion) return wireError(WireErrc::BadVersion);
  if (length != datagram.size()) return wireError(WireErrc::LengthMismatch);
  return h;
}

void writeHeader(const Header& h, PayloadType next, ByteWriter& w) {
  w.putU64(h.spiI);
  w.putU64(h.spiR);
  w.putU8(static_cast<uint8_t>(next));
  w.putU8(static_cast<uint8_t>(h.majorVersion << 4 | (h.minorVersion & 0x0f)));
  w.putU8(static_cast<uint8_t>(h.exchangeType));
  w.putU8(h.flags);
  w.putU32(h.messageId);
  w.putU32(0);  // length, patched by finishHeader
}

WireResult<Bytes> finishHeader(Bytes&& out) {
  if (out.size() > 0xffffffffu) return wireError(WireErrc::TooLong);
  ByteWriter(out).patchU32(24, static_cast<uint32_t>(out.size()));
  return std::move(out);
}

// The encrypted region of a received SK/SKF: plaintext after a successful open.
struct Opened {
  std::span<const uint8_t> inner;
};

// Verifies and decrypts in place, then strips the padding (RFC 7296 3.14:
// the pad length byte is the last plaintext byte; the padding before it may
// hold any value, so only its length is checked).
WireResult<Opened> openEncrypted(std::span<uint8_t> datagram, const EncryptedPayload& e, PayloadType type,
                                 SkCipher& cipher) {
  const auto t = static_cast<uint8_t>(type);
  const size_t iv = cipher.ivLength(), icv = cipher.icvLength();
  // At least the pad length byte between IV and ICV.
  if (e.ivOffset > datagram.size() || datagram.size() - e.ivOffset < iv + icv + 1)
    return wireError(WireErrc::BadEncrypted, t);
  if (!cipher.open(datagram, e.ivOffset)) return wireError(WireErrc::IcvFailure, t);
  std::span<const uint8_t> plain = datagram.subspan(e.ivOffset + iv, datagram.size() - e.ivOffset - iv - icv);
  const size_t padLength = plain.back();
  if (padLength + 1 > plain.size()) return wireError(WireErrc::BadPadding, t);
  return Opened{plain.first(plain.size() - padLength - 1)};
}

const EncryptedPayload* lastEncrypted(const Message& outer, PayloadType want) {
  if (outer.payloads.empty() || outer.payloads.back().type != want) return nullptr;
  return std::get_if<EncryptedPayload>(&outer.payloads.back().body);
}

// [header][SK or SKF header][IV][inner | pad | pad length][ICV], then seal.
WireResult<Bytes> sealEncrypted(const Header& h, PayloadType type, PayloadType firstInner, uint16_t number,
                                uint16_t total, std::span<const uint8_t> inner, SkCipher& cipher) {
  const auto t = static_cast<uint8_t>(type);
  const size_t block = std::max<size_t>(cipher.blockSize(), 1);
  if (block > 256) return wireError(WireErrc::BadPadding, t);  // the pad length is one byte
  const size_t padLength = (block - (inner.size() + 1) % block) % block;
  const size_t fields = type == PayloadType::SKF ? kSkfFieldsLen : 0;
  const size_t payloadLen =
      kGenericHeaderLen + fields + cipher.ivLength() + inner.size() + padLength + 1 + cipher.icvLength();
  if (payloadLen > 0xffff) return wireError(WireErrc::TooLong, t);

  Bytes out;
  out.reserve(kIkeHeaderLen + payloadLen);
  ByteWriter w(out);
  writeHeader(h, type, w);
  w.putU8(static_cast<uint8_t>(firstInner));
  w.putU8(0);
  w.putU16(static_cast<uint16_t>(payloadLen));
  if (type == PayloadType::SKF) {
    w.putU16(number);
    w.putU16(total);
  }
  const size_t ivOffset = w.size();
  w.putZeros(cipher.ivLength());
  w.putBytes(inner);
  w.putZeros(padLength);
  w.putU8(static_cast<uint8_t>(padLength));
  w.putZeros(cipher.icvLength());
  auto done = finishHeader(std::move(out));
  if (!done) return done;
  if (!cipher.seal(*done, ivOffset)) return wireError(WireErrc::SealFailed, t);
  return done;
}

}  // namespace

WireResult<Header> decodeHeader(std::span<const uint8_t> datagram) {
  auto h = readHeader(datagram);
  if (!h) return unexpected(h.error());
  return h->header;
}

WireResult<Message> decodeMessage(std::span<const uint8_t> datagram) {
  auto h = readHeader(datagram);
  if (!h) return unexpected(h.error());
  auto payloads = walkChain(static_cast<PayloadType>(h->nextPayload), datagram.subspan(kIkeHeaderLen),
                            kIkeHeaderLen, /*allowEncrypted=*/true);
  if (!payloads) return unexpected(payloads.error());
  return Message{h->header, std::move(*payloads), false};
}

WireResult<Message> openMessage(std::span<uint8_t> datagram, const Message& outer, SkCipher& cipher) {
  const EncryptedPayload* e = lastEncrypted(outer, PayloadType::SK);
  if (!e) return wireError(WireErrc::NotEncrypted);
  auto opened = openEncrypted(datagram, *e, PayloadType::SK, cipher);
  if (!opened) return unexpected(opened.error());
  auto inner = decodeChain(e->firstInner, opened->inner);
  if (!inner) return unexpected(inner.error());
  Message m{outer.header, {}, true};
  m.payloads.assign(outer.payloads.begin(), outer.payloads.end() - 1);
  for (Payload& p : *inner) m.payloads.push_back(std::move(p));
  return m;
}

WireResult<Fragment> openFragment(std::span<uint8_t> datagram, const Message& outer, SkCipher& cipher) {
  const EncryptedPayload* e = lastEncrypted(outer, PayloadType::SKF);
  if (!e) return wireError(WireErrc::NotEncrypted);
  auto opened = openEncrypted(datagram, *e, PayloadType::SKF, cipher);
  if (!opened) return unexpected(opened.error());
  return Fragment{e->fragmentNumber, e->totalFragments, e->firstInner,
                  Bytes(opened->inner.begin(), opened->inner.end())};
}

WireResult<std::vector<Payload>> decodeChain(PayloadType first, std::span<const uint8_t> chain) {
  return walkChain(first, chain, 0, /*allowEncrypted=*/false);
}

WireResult<Bytes> encodeChain(std::span<const Payload> payloads) {
  Bytes out;
  ByteWriter w(out);
  if (auto err = writeChain(payloads, PayloadType::NoNext, w)) return unexpected(*err);
  return out;
}

WireResult<Bytes> encodeMessage(const Message& m) {
  Bytes out;
  ByteWriter w(out);
  writeHeader(m.header, m.payloads.empty() ? PayloadType::NoNext : m.payloads.front().type, w);
  if (auto err = writeChain(m.payloads, PayloadType::NoNext, w)) return unexpected(*err);
  return finishHeader(std::move(out));
}

WireResult<Bytes> encodeEncrypted(const Message& m, SkCipher& cipher) {
  auto inner = encodeChain(m.payloads);
  if (!inner) return unexpected(inner.error());
  const PayloadType first = m.payloads.empty() ? PayloadType::NoNext : m.payloads.front().type;
  return sealEncrypted(m.header, PayloadType::SK, first, 0, 0, *inner, cipher);
}

WireResult<Bytes> encodeFragment(const Header& h, PayloadType firstInner, uint16_t number, uint16_t total,
                                 std::span<const uint8_t> innerChunk, SkCipher& cipher) {
  if (number == 0 || total == 0 || number > total) return wireError(WireErrc::BadFragment, kSkf);
  // RFC 7383 2.5: only the first fragment names the first inner payload.
  return sealEncrypted(h, PayloadType::SKF, number == 1 ? firstInner : PayloadType::NoNext, number, total,
                       innerChunk, cipher);
}

WireResult<std::vector<Bytes>> encodeFragments(const Message& m, size_t maxInnerPerFragment, SkCipher& cipher) {
  if (maxInnerPerFragment == 0) return wireError(WireErrc::BadFragment, kSkf);
  auto inner = encodeChain(m.payloads);
  if (!inner) return unexpected(inner.error());
  const size_t count = std::max<size_t>(1, (inner->size() + maxInnerPerFragment - 1) / maxInnerPerFragment);
  if (count > 0xffff) return wireError(WireErrc::TooLong, kSkf);
  const PayloadType first = m.payloads.empty() ? PayloadType::NoNext : m.payloads.front().type;
  std::vector<Bytes> out;
  std::span<const uint8_t> rest(*inner);
  for (size_t i = 0; i < count; ++i) {
    const size_t n = std::min(maxInnerPerFragment, rest.size());
    auto frag = encodeFragment(m.header, first, static_cast<uint16_t>(i + 1), static_cast<uint16_t>(count),
                               rest.first(n), cipher);
    if (!frag) return unexpected(frag.error());
    out.push_back(std::move(*frag));
    rest = rest.subspan(n);
  }
  return out;
}

}  // namespace ipsecgw::ike
