#include "esp/esp_outbound.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "esp/burst.hpp"
#include "esp/esp_crypto_layout.hpp"
#include "net/checksum.hpp"
#include "net/ip.hpp"
#include "net/ip_layout.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::esp {

namespace {

// What the second pass needs to know about a packet the first pass prepared.
struct PendingPacket {
  IpLayout inner;      // transport mode: the kept IP header
  uint32_t innerLen;   // plaintext bytes (for counters)
  uint8_t tos;         // inner DSCP+ECN, copied to the outer header (RFC 4301 5.1.2.1)
  bool innerDf;
  uint64_t seq;
};

uint8_t innerTrafficClass(const uint8_t* p, IpFamily f) {
  return f == IpFamily::V4 ? p[ip::kV4Tos] : static_cast<uint8_t>((p[0] & 0x0f) << 4 | p[1] >> 4);
}

// First pass: room, trailer, ESP header and IV, then describe the crypto op.
DropReason preparePacket(SecurityAssociation& sa, PacketBuffer& pkt, PendingPacket& pend, EspOpScratch& scratch,
                         CryptoOp& op) {
  const SaConfig& cfg = sa.config();
  const TransformInfo& info = sa.info();
  const bool tunnel = cfg.mode == Mode::Tunnel;

  IpLayout& lay = pend.inner;
  if (DropReason r = locateUpperLayer(pkt.bytes(), lay); r != DropReason::None) return r;
  pkt.length = lay.totalLen;  // drop link-layer padding, never encrypt it
  if (!tunnel) {
    // Transport mode protects whole datagrams between the SA's own endpoints.
    if (lay.family != cfg.localAddress.family) return DropReason::WrongFamily;
    if (lay.fragment) return DropReason::UnsupportedProtocol;
  }
  pend.innerLen = pkt.length;
  pend.tos = innerTrafficClass(pkt.data(), lay.family);
  pend.innerDf = lay.family == IpFamily::V6 || (loadBe16(pkt.data() + ip::kV4Frag) & ip::kV4FlagDf) != 0;

  if (!sa.nextSequence(pend.seq)) return DropReason::SeqOverflow;
  if (!sa.lifetime().consume(pend.innerLen)) return DropReason::LifetimeExpired;

  const uint32_t keptHeader = tunnel ? 0 : lay.headerLen;
  const uint8_t nextHeader = tunnel ? (lay.family == IpFamily::V4 ? ip::kProtoIpip : ip::kProtoIpv6)
                                    : lay.upperProtocol;
  const uint32_t payloadLen = pkt.length - keptHeader;
  const uint32_t tfc = cfg.tfcPadTo > payloadLen ? cfg.tfcPadTo - payloadLen : 0;
  const uint32_t padLen = (info.blockLen - (payloadLen + tfc + kEspTrailerLen) % info.blockLen) % info.blockLen;
  const uint32_t head = sa.outerLen() + kEspHeaderLen + info.ivLen;
  if (pkt.headroom() < head || pkt.tailroom() < tfc + padLen + kEspTrailerLen + info.icvLen)
    return DropReason::NoHeadroom;

  // Trailer (RFC 4303 2.4-2.6): TFC zeros, pad 1, 2, 3..., pad length, NH.
  uint8_t* tail = pkt.append(tfc + padLen + kEspTrailerLen + info.icvLen);
  std::memset(tail, 0, tfc);
  for (uint32_t i = 0; i < padLen; ++i) tail[tfc + i] = static_cast<uint8_t>(i + 1);
  tail[tfc + padLen] = static_cast<uint8_t>(padLen);
  tail[tfc + padLen + 1] = nextHeader;

  pkt.prepend(head);
  if (!tunnel) std::memmove(pkt.data(), pkt.data() + head, keptHeader);  // IP header stays in front
  uint8_t* esp = pkt.data() + keptHeader + sa.outerLen();
  storeBe32(esp, cfg.spi);
  storeBe32(esp + 4, static_cast<uint32_t>(pend.seq));
  if (info.ivLen == 8) {
    // RFC 4106 3.1 / RFC 7634 2: the IV must never repeat under a key; the
    // 64-bit sequence number is unique per SA, so it is the IV.
    storeBe64(esp + kEspHeaderLen, pend.seq);
  } else if (info.ivLen == 16) {
    // CBC counter block; the engine encrypts it into an unpredictable IV.
    storeBe64(esp + kEspHeaderLen, pend.seq);
    storeBe32(esp + kEspHeaderLen + 8, cfg.spi);
    storeBe32(esp + kEspHeaderLen + 12, 0);
  }

  scratch.esp = esp;
  scratch.espLen = static_cast<uint32_t>(pkt.end() - esp);
  describeEspOp(sa, CryptoDirection::Encrypt, pend.seq, scratch, op);
  return DropReason::None;
}

void writeUdpHeader(uint8_t* udp, const UdpEncap& encap, uint32_t udpLen) {
  storeBe16(udp, encap.srcPort);
  storeBe16(udp + 2, encap.dstPort);
  storeBe16(udp + 4, static_cast<uint16_t>(udpLen));
  storeBe16(udp + 6, 0);  // RFC 3948 2.1: zero over IPv4; IPv6 fills it below
}

void finishTunnel(const SecurityAssociation& sa, PacketBuffer& pkt, const PendingPacket& pend) {
  uint8_t* h = pkt.data();
  std::memcpy(h, sa.outerTemplate(), sa.outerLen());
  const bool v4 = sa.config().localAddress.isV4();
  const uint32_t ipLen = v4 ? ip::kIpv4MinHeader : ip::kIpv6Header;
  if (v4) {
    bool df = sa.config().df == DfPolicy::Set || (sa.config().df == DfPolicy::Copy && pend.innerDf);
    uint16_t frag = df ? ip::kV4FlagDf : 0;
    h[ip::kV4Tos] = pend.tos;
    storeBe16(h + ip::kV4TotalLen, static_cast<uint16_t>(pkt.length));
    storeBe16(h + ip::kV4Id, static_cast<uint16_t>(pend.seq));
    storeBe16(h + ip::kV4Frag, frag);
    // Template sum plus the fields that vary per packet.
    uint8_t varying[8] = {0, pend.tos, static_cast<uint8_t>(pkt.length >> 8), static_cast<uint8_t>(pkt.length),
                          h[ip::kV4Id], h[ip::kV4Id + 1], static_cast<uint8_t>(frag >> 8), 0};
    storeBe16(h + ip::kV4Checksum, checksumFinish(checksumPartial(varying, sizeof varying, sa.outerTemplateSum())));
  } else {
    h[0] = static_cast<uint8_t>(0x60 | pend.tos >> 4);
    h[1] = static_cast<uint8_t>(pend.tos << 4);
    storeBe16(h + ip::kV6PayloadLen, static_cast<uint16_t>(pkt.length - ip::kIpv6Header));
  }
  if (sa.config().udpEncap) {
    uint8_t* udp = h + ipLen;
    writeUdpHeader(udp, *sa.config().udpEncap, pkt.length - ipLen);
    if (!v4)
      storeBe16(udp + 6, transportChecksumV6(h + ip::kV6Src, h + ip::kV6Dst, ip::kProtoUdp, udp, pkt.length - ipLen));
  }
}

void finishTransport(const SecurityAssociation& sa, PacketBuffer& pkt, const PendingPacket& pend) {
  uint8_t* h = pkt.data();
  const IpLayout& lay = pend.inner;
  const bool udp = sa.config().udpEncap.has_value();
  rewriteIpHeader(h, lay, udp ? ip::kProtoUdp : ip::kProtoEsp, pkt.length);
  if (udp) {
    uint8_t* u = h + lay.headerLen;
    writeUdpHeader(u, *sa.config().udpEncap, pkt.length - lay.headerLen);
    if (lay.family == IpFamily::V6)
      storeBe16(u + 6, transportChecksumV6(h + ip::kV6Src, h + ip::kV6Dst, ip::kProtoUdp, u, pkt.length - lay.headerLen));
  }
}

void encapsulateChunk(SecurityAssociation& sa, CryptoEngine& engine, std::span<PacketBuffer*> pkts,
                          std::span<DropReason> reasons) {
  PendingPacket pending[kBurstChunk];
  EspOpScratch scratch[kBurstChunk];
  CryptoOp ops[kBurstChunk];
  uint8_t opOf[kBurstChunk];  // packet index of each op
  uint32_t nOps = 0;

  for (uint32_t i = 0; i < pkts.size(); ++i) {
    reasons[i] = preparePacket(sa, *pkts[i], pending[i], scratch[nOps], ops[nOps]);
    if (reasons[i] == DropReason::None) opOf[nOps++] = static_cast<uint8_t>(i);
  }
  engine.process(sa.session(), sa.config().transform, CryptoDirection::Encrypt, {ops, nOps});

  SaCounters& c = sa.counters();
  for (uint32_t k = 0; k < nOps; ++k) {
    uint32_t i = opOf[k];
    restoreAfterEspOp(sa, scratch[k]);
    if (!ops[k].ok) {
      reasons[i] = DropReason::CryptoError;
      continue;
    }
    if (sa.config().mode == Mode::Tunnel)
      finishTunnel(sa, *pkts[i], pending[i]);
    else
      finishTransport(sa, *pkts[i], pending[i]);
    c.packets++;
    c.bytes += pending[i].innerLen;
  }
}

}  // namespace

uint32_t espEncapsulate(SecurityAssociation& sa, CryptoEngine& engine, std::span<PacketBuffer*> pkts,
                        std::span<DropReason> reasons) {
  assert(sa.direction() == Direction::Outbound);
  for (size_t off = 0; off < pkts.size(); off += kBurstChunk) {
    size_t n = std::min<size_t>(kBurstChunk, pkts.size() - off);
    encapsulateChunk(sa, engine, pkts.subspan(off, n), reasons.subspan(off, n));
  }
  uint32_t good = compactBurst(pkts, reasons);
  sa.counters().drops += pkts.size() - good;
  return good;
}

}  // namespace ipsecgw::esp
