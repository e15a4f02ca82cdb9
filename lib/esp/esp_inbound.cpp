#include "esp/esp_inbound.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "esp/burst.hpp"
#include "esp/esp_crypto_layout.hpp"
#include "esp/natt.hpp"
#include "net/ip.hpp"
#include "net/ip_layout.hpp"
#include "util/byte_order.hpp"
#include "util/uninitialized_array.hpp"
#include "util/secret.hpp"

namespace ipsecgw::esp {

namespace {

constexpr uint8_t kPadBytes[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

// True if pad[0..padLen) is 1, 2, 3, .... Up to 15 bytes (every block size
// we use is at most 16) are compared as two words; longer padding, which
// other implementations may send for traffic-flow confidentiality, byte by
// byte. The ICV lies behind the padding, so reading 16 bytes stays inside
// the packet.
[[gnu::always_inline]] inline bool padBytesValid(const uint8_t* pad, uint32_t padLen) {
  if (padLen < 16) {
    uint64_t got[2], want[2], mask[2];
    std::memcpy(got, pad, 16);
    std::memcpy(want, kPadBytes, 16);
    mask[0] = padLen >= 8 ? ~uint64_t{0} : (uint64_t{1} << (padLen * 8)) - 1;
    mask[1] = padLen <= 8 ? 0 : (uint64_t{1} << ((padLen - 8) * 8)) - 1;
    return (((got[0] ^ want[0]) & mask[0]) | ((got[1] ^ want[1]) & mask[1])) == 0;
  }
  for (uint32_t i = 0; i < padLen; ++i)
    if (pad[i] != static_cast<uint8_t>(i + 1)) return false;
  return true;
}

struct ReceivedPacket {
  IpLayout outer;
  uint32_t espOffset;  // from the start of the packet
  uint64_t seq;        // full (ESN-inferred) sequence number
};

// Finds the ESP header behind the outer IP header and an optional UDP header.
[[gnu::always_inline]] inline DropReason locateEsp(std::span<const uint8_t> p, IpLayout& lay, uint32_t& espOffset) {
  if (DropReason r = locateUpperLayer(p, lay); r != DropReason::None) return r;
  if (lay.fragment) return DropReason::Malformed;  // reassembly happens before
  espOffset = lay.headerLen;
  if (lay.upperProtocol == ip::kProtoUdp) {
    if (lay.totalLen < espOffset + ip::kUdpHeader) return DropReason::Malformed;
    uint32_t udpLen = loadBe16(p.data() + espOffset + 4);
    if (udpLen != lay.totalLen - espOffset) return DropReason::Malformed;
    espOffset += ip::kUdpHeader;
    switch (classifyNatTPayload(p.subspan(espOffset, lay.totalLen - espOffset))) {
      case UdpPayloadKind::Esp:
        break;
      case UdpPayloadKind::NatKeepalive:
        return DropReason::NatKeepalive;
      default:
        return DropReason::Malformed;  // IKE or junk: not for this path
    }
  } else if (lay.upperProtocol != ip::kProtoEsp) {
    return DropReason::UnsupportedProtocol;
  }
  if (lay.totalLen < espOffset + kEspHeaderLen) return DropReason::EspShort;
  return DropReason::None;
}

// Everything the per-packet code reads from the SA, copied into a local once
// per chunk (EspSaParams says why). The per-packet steps are specialised per
// transform kind and mode (`Tunnel` == the SA's mode), chosen once per burst in
// espDecapsulate.
struct InboundParams {
  EspSaParams esp;

  static InboundParams of(const SecurityAssociation& sa) { return {EspSaParams::of(sa)}; }
};

template <TransformKind Kind>
[[gnu::always_inline]] inline DropReason preparePacket(const InboundParams& p, ReplayWindow& window,
                                                       PacketBuffer& pkt, ReceivedPacket& rx, EspOpScratch& scratch,
                                                       CryptoOp& op) {
  if (DropReason r = locateEsp(pkt.bytes(), rx.outer, rx.espOffset); r != DropReason::None) return r;
  const uint32_t length = rx.outer.totalLen;
  pkt.length = length;

  uint8_t* esp = pkt.data() + rx.espOffset;
  const uint32_t espLen = length - rx.espOffset;
  constexpr KindGeometry geo = kindGeometry(Kind);
  constexpr uint32_t fixedLen = kEspHeaderLen + geo.ivLen + geo.icvLen;  // around the ciphertext
  if (espLen < fixedLen + kEspTrailerLen) return DropReason::EspShort;
  // RFC 4303 2.4: pad length and next header end on a 4-byte boundary, and a
  // block cipher's ciphertext is whole blocks (a power of two: a mask).
  if (((espLen - fixedLen) & (geo.blockLen - 1u)) != 0) return DropReason::EspBadLength;
  if (loadBe32(esp) != p.esp.spi) return DropReason::UnknownSpi;
  // RFC 4303 3.4.3: reject replays before spending cycles on the ICV.
  if (!window.check(loadBe32(esp + 4), rx.seq)) return DropReason::Replay;

  scratch.esp = esp;
  scratch.espLen = espLen;
  describeEspOpAs<Kind>(p.esp, CryptoDirection::Decrypt, rx.seq, scratch, op);
  return DropReason::None;
}

// After the engine ran: verify, advance the window, strip ESP. The lifetime
// is charged afterwards, for the burst.
template <TransformKind Kind, bool Tunnel>
[[gnu::always_inline]] inline DropReason finishPacket(ReplayWindow& window, PacketBuffer& pkt,
                                                      const ReceivedPacket& rx, const EspOpScratch& scratch,
                                                      const CryptoOp& op, uint32_t& payloadBytes) {
  if (!op.ok) return DropReason::CryptoError;
  constexpr KindGeometry geo = kindGeometry(Kind);
  if (!constantTimeEqual(scratch.computedIcv, scratch.receivedIcv, geo.icvLen)) return DropReason::BadIcv;
  if (!window.accept(rx.seq)) return DropReason::Replay;

  const uint8_t* esp = scratch.esp;
  constexpr uint32_t bodyOffset = kEspHeaderLen + geo.ivLen;
  const uint32_t bodyLen = scratch.espLen - bodyOffset - geo.icvLen;
  const uint8_t padLen = esp[bodyOffset + bodyLen - 2];
  const uint8_t nextHeader = esp[bodyOffset + bodyLen - 1];
  if (padLen + kEspTrailerLen > bodyLen) return DropReason::BadPadding;
  uint32_t payloadLen = bodyLen - kEspTrailerLen - padLen;
  // RFC 4303 2.4: the default padding is 1, 2, 3, ... and must be checked.
  if (!padBytesValid(esp + bodyOffset + payloadLen, padLen)) return DropReason::BadPadding;
  if (nextHeader == ip::kProtoNoNext) return DropReason::DummyPacket;

  uint8_t* const data = pkt.data();
  const uint32_t payloadOffset = rx.espOffset + bodyOffset;
  if constexpr (Tunnel) {
    if (nextHeader != ip::kProtoIpip && nextHeader != ip::kProtoIpv6) return DropReason::BadNextHeader;
    IpLayout inner;
    if (measureIpPacket({data + payloadOffset, payloadLen}, inner) != DropReason::None)
      return DropReason::Malformed;
    if ((inner.family == IpFamily::V4) != (nextHeader == ip::kProtoIpip)) return DropReason::BadNextHeader;
    payloadLen = inner.totalLen;  // anything beyond is TFC padding (RFC 4303 2.7)
  }

  if constexpr (Tunnel) {
    pkt.offset += payloadOffset;
    pkt.length = payloadLen;
  } else {
    // Transport: slide the original IP header up against the payload.
    const uint32_t keep = rx.outer.headerLen;
    pkt.offset += payloadOffset - keep;
    pkt.length = keep + payloadLen;
    std::memmove(data + payloadOffset - keep, data, keep);
    rewriteIpHeader(data + payloadOffset - keep, rx.outer, nextHeader, keep + payloadLen);
  }
  payloadBytes = payloadLen;
  return DropReason::None;
}

// Returns how many packets succeeded.
template <TransformKind Kind, bool Tunnel>
uint32_t decapsulateChunk(SecurityAssociation& sa, CryptoEngine& engine, std::span<PacketBuffer*> pkts,
                          std::span<DropReason> reasons) {
  UninitializedArray<ReceivedPacket, kBurstChunk> rx;
  UninitializedArray<EspOpScratch, kBurstChunk> scratch;
  UninitializedArray<CryptoOp, kBurstChunk> ops;
  uint8_t opOf[kBurstChunk];
  uint32_t nOps = 0;
  const InboundParams p = InboundParams::of(sa);
  ReplayWindow& window = *sa.replayWindow();  // every inbound SA has one

  for (uint32_t i = 0; i < pkts.size(); ++i) {
    reasons[i] = preparePacket<Kind>(p, window, *pkts[i], rx[i], scratch[nOps], ops[nOps]);
    if (reasons[i] == DropReason::None) opOf[nOps++] = static_cast<uint8_t>(i);
  }
  engine.process(sa.session(), sa.config().transform, CryptoDirection::Decrypt, {ops.data(), nOps});

  uint32_t payloadLens[kBurstChunk];
  uint64_t packets = 0, bytes = 0;
  for (uint32_t k = 0; k < nOps; ++k) {
    uint32_t i = opOf[k];
    if (Kind == TransformKind::GmacOnly) restoreAfterEspOp(p.esp, scratch[k]);
    DropReason r = finishPacket<Kind, Tunnel>(window, *pkts[i], rx[i], scratch[k], ops[k], payloadLens[k]);
    reasons[i] = r;
    if (r != DropReason::None) continue;
    ++packets;
    bytes += payloadLens[k];
  }

  // Usually the whole burst stays below every lifetime limit and is charged
  // at once; otherwise packet by packet, exactly.
  if (!sa.lifetime().tryAdd(packets, bytes)) {
    LifetimeBatch life(sa.lifetime());
    for (uint32_t k = 0; k < nOps; ++k) {
      uint32_t i = opOf[k];
      if (reasons[i] != DropReason::None || life.consume(payloadLens[k])) continue;
      reasons[i] = DropReason::LifetimeExpired;
      --packets;
      bytes -= payloadLens[k];
    }
    life.commit();
  }
  SaCounters& c = sa.counters();
  c.packets += packets;
  c.bytes += bytes;
  return static_cast<uint32_t>(packets);
}

}  // namespace

uint32_t espDecapsulate(SecurityAssociation& sa, CryptoEngine& engine, std::span<PacketBuffer*> pkts,
                        std::span<DropReason> reasons) {
  assert(sa.direction() == Direction::Inbound);
  // The SA's routine, chosen once per burst: no test of kind or mode per packet.
  return withKind(sa.info().kind, [&](auto kind) {
    constexpr TransformKind K = decltype(kind)::value;
    auto chunkFn = sa.config().mode == Mode::Tunnel ? decapsulateChunk<K, true> : decapsulateChunk<K, false>;
    return processInChunks(pkts, reasons, kBurstChunk, sa.counters().drops, [&](auto chunkPkts, auto chunkReasons) {
      return chunkFn(sa, engine, chunkPkts, chunkReasons);
    });
  });
}

DropReason peekEspSpi(std::span<const uint8_t> packet, uint32_t& spi) {
  IpLayout lay;
  uint32_t espOffset;
  if (DropReason r = locateEsp(packet, lay, espOffset); r != DropReason::None) return r;
  spi = loadBe32(packet.data() + espOffset);
  return DropReason::None;
}

}  // namespace ipsecgw::esp
