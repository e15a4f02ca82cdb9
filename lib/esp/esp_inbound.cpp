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
bool padBytesValid(const uint8_t* pad, uint32_t padLen) {
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
DropReason locateEsp(std::span<const uint8_t> p, IpLayout& lay, uint32_t& espOffset) {
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

DropReason preparePacket(SecurityAssociation& sa, PacketBuffer& pkt, ReceivedPacket& rx, EspOpScratch& scratch,
                         CryptoOp& op) {
  const TransformInfo& info = sa.info();
  if (DropReason r = locateEsp(pkt.bytes(), rx.outer, rx.espOffset); r != DropReason::None) return r;
  pkt.length = rx.outer.totalLen;

  uint8_t* esp = pkt.data() + rx.espOffset;
  const uint32_t espLen = pkt.length - rx.espOffset;
  const uint32_t overhead = kEspHeaderLen + info.ivLen + kEspTrailerLen + info.icvLen;
  if (espLen < overhead) return DropReason::EspShort;
  // RFC 4303 2.4: pad length and next header end on a 4-byte boundary, and a
  // block cipher's ciphertext is whole blocks.
  if ((espLen - kEspHeaderLen - info.ivLen - info.icvLen) % info.blockLen != 0) return DropReason::EspBadLength;
  if (loadBe32(esp) != sa.spi()) return DropReason::UnknownSpi;
  // RFC 4303 3.4.3: reject replays before spending cycles on the ICV.
  if (!sa.replayWindow()->check(loadBe32(esp + 4), rx.seq)) return DropReason::Replay;

  scratch.esp = esp;
  scratch.espLen = espLen;
  describeEspOp(sa, CryptoDirection::Decrypt, rx.seq, scratch, op);
  return DropReason::None;
}

// After the engine ran: verify, advance the window, strip ESP.
DropReason finishPacket(SecurityAssociation& sa, PacketBuffer& pkt, const ReceivedPacket& rx,
                        const EspOpScratch& scratch, const CryptoOp& op) {
  const TransformInfo& info = sa.info();
  const bool tunnel = sa.config().mode == Mode::Tunnel;
  if (!op.ok) return DropReason::CryptoError;
  if (!constantTimeEqual(scratch.computedIcv, scratch.receivedIcv, info.icvLen)) return DropReason::BadIcv;
  if (!sa.replayWindow()->accept(rx.seq)) return DropReason::Replay;

  const uint8_t* esp = scratch.esp;
  const uint32_t bodyOffset = kEspHeaderLen + info.ivLen;
  const uint32_t bodyLen = scratch.espLen - bodyOffset - info.icvLen;
  const uint8_t padLen = esp[bodyOffset + bodyLen - 2];
  const uint8_t nextHeader = esp[bodyOffset + bodyLen - 1];
  if (padLen + kEspTrailerLen > bodyLen) return DropReason::BadPadding;
  uint32_t payloadLen = bodyLen - kEspTrailerLen - padLen;
  // RFC 4303 2.4: the default padding is 1, 2, 3, ... and must be checked.
  if (!padBytesValid(esp + bodyOffset + payloadLen, padLen)) return DropReason::BadPadding;
  if (nextHeader == ip::kProtoNoNext) return DropReason::DummyPacket;

  const uint32_t payloadOffset = rx.espOffset + bodyOffset;
  if (tunnel) {
    if (nextHeader != ip::kProtoIpip && nextHeader != ip::kProtoIpv6) return DropReason::BadNextHeader;
    IpLayout inner;
    if (measureIpPacket({pkt.data() + payloadOffset, payloadLen}, inner) != DropReason::None)
      return DropReason::Malformed;
    if ((inner.family == IpFamily::V4) != (nextHeader == ip::kProtoIpip)) return DropReason::BadNextHeader;
    payloadLen = inner.totalLen;  // anything beyond is TFC padding (RFC 4303 2.7)
  }
  if (!sa.lifetime().consume(payloadLen)) return DropReason::LifetimeExpired;

  if (tunnel) {
    pkt.trimFront(payloadOffset);
    pkt.length = payloadLen;
  } else {
    // Transport: slide the original IP header up against the payload.
    const uint32_t keep = rx.outer.headerLen;
    std::memmove(pkt.data() + payloadOffset - keep, pkt.data(), keep);
    pkt.trimFront(payloadOffset - keep);
    pkt.length = keep + payloadLen;
    rewriteIpHeader(pkt.data(), rx.outer, nextHeader, pkt.length);
  }
  SaCounters& c = sa.counters();
  c.packets++;
  c.bytes += payloadLen;
  return DropReason::None;
}

void decapsulateChunk(SecurityAssociation& sa, CryptoEngine& engine, std::span<PacketBuffer*> pkts,
                      std::span<DropReason> reasons) {
  UninitializedArray<ReceivedPacket, kBurstChunk> rx;
  UninitializedArray<EspOpScratch, kBurstChunk> scratch;
  UninitializedArray<CryptoOp, kBurstChunk> ops;
  uint8_t opOf[kBurstChunk];
  uint32_t nOps = 0;

  for (uint32_t i = 0; i < pkts.size(); ++i) {
    reasons[i] = preparePacket(sa, *pkts[i], rx[i], scratch[nOps], ops[nOps]);
    if (reasons[i] == DropReason::None) opOf[nOps++] = static_cast<uint8_t>(i);
  }
  engine.process(sa.session(), sa.config().transform, CryptoDirection::Decrypt, {ops.data(), nOps});
  for (uint32_t k = 0; k < nOps; ++k) {
    uint32_t i = opOf[k];
    restoreAfterEspOp(sa, scratch[k]);
    reasons[i] = finishPacket(sa, *pkts[i], rx[i], scratch[k], ops[k]);
  }
}

}  // namespace

uint32_t espDecapsulate(SecurityAssociation& sa, CryptoEngine& engine, std::span<PacketBuffer*> pkts,
                        std::span<DropReason> reasons) {
  assert(sa.direction() == Direction::Inbound);
  return processInChunks(pkts, reasons, kBurstChunk, sa.counters().drops,
                         [&](auto chunkPkts, auto chunkReasons) { decapsulateChunk(sa, engine, chunkPkts, chunkReasons); });
}

DropReason peekEspSpi(std::span<const uint8_t> packet, uint32_t& spi) {
  IpLayout lay;
  uint32_t espOffset;
  if (DropReason r = locateEsp(packet, lay, espOffset); r != DropReason::None) return r;
  spi = loadBe32(packet.data() + espOffset);
  return DropReason::None;
}

}  // namespace ipsecgw::esp
