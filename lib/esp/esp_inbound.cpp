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
#include "util/secret.hpp"

namespace ipsecgw::esp {

namespace {

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
  for (uint32_t i = 0; i < padLen; ++i)
    if (esp[bodyOffset + payloadLen + i] != i + 1) return DropReason::BadPadding;
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
  ReceivedPacket rx[kBurstChunk];
  EspOpScratch scratch[kBurstChunk];
  CryptoOp ops[kBurstChunk];
  uint8_t opOf[kBurstChunk];
  uint32_t nOps = 0;

  for (uint32_t i = 0; i < pkts.size(); ++i) {
    reasons[i] = preparePacket(sa, *pkts[i], rx[i], scratch[nOps], ops[nOps]);
    if (reasons[i] == DropReason::None) opOf[nOps++] = static_cast<uint8_t>(i);
  }
  engine.process(sa.session(), sa.config().transform, CryptoDirection::Decrypt, {ops, nOps});
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
  for (size_t off = 0; off < pkts.size(); off += kBurstChunk) {
    size_t n = std::min<size_t>(kBurstChunk, pkts.size() - off);
    decapsulateChunk(sa, engine, pkts.subspan(off, n), reasons.subspan(off, n));
  }
  uint32_t good = compactBurst(pkts, reasons);
  sa.counters().drops += pkts.size() - good;
  return good;
}

DropReason peekEspSpi(std::span<const uint8_t> packet, uint32_t& spi) {
  IpLayout lay;
  uint32_t espOffset;
  if (DropReason r = locateEsp(packet, lay, espOffset); r != DropReason::None) return r;
  spi = loadBe32(packet.data() + espOffset);
  return DropReason::None;
}

}  // namespace ipsecgw::esp
