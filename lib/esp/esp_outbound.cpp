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
#include "util/uninitialized_array.hpp"

namespace ipsecgw::esp {

namespace {

// RFC 4303 2.4 default padding: 1, 2, 3, ... (at most blockLen - 1 = 15 bytes).
constexpr uint8_t kPadBytes[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

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

void writeUdpHeader(uint8_t* udp, const UdpEncap& encap, uint32_t udpLen) {
  storeBe16(udp, encap.srcPort);
  storeBe16(udp + 2, encap.dstPort);
  storeBe16(udp + 4, static_cast<uint16_t>(udpLen));
  storeBe16(udp + 6, 0);  // RFC 3948 2.1: zero over IPv4; IPv6 fills it after crypto
}

void writeTunnelHeaders(const SecurityAssociation& sa, PacketBuffer& pkt, const PendingPacket& pend) {
  uint8_t* h = pkt.data();
  const bool v4 = sa.config().localAddress.isV4();
  const uint32_t ipLen = v4 ? ip::kIpv4MinHeader : ip::kIpv6Header;
  // Constant-size copies of the template; the UDP ports come with the UDP
  // header written below.
  if (v4)
    std::memcpy(h, sa.outerTemplate(), ip::kIpv4MinHeader);
  else
    std::memcpy(h, sa.outerTemplate(), ip::kIpv6Header);
  if (v4) {
    bool df = sa.config().df == DfPolicy::Set || (sa.config().df == DfPolicy::Copy && pend.innerDf);
    uint16_t frag = df ? ip::kV4FlagDf : 0;
    h[ip::kV4Tos] = pend.tos;
    storeBe16(h + ip::kV4TotalLen, static_cast<uint16_t>(pkt.length));
    storeBe16(h + ip::kV4Id, static_cast<uint16_t>(pend.seq));
    storeBe16(h + ip::kV4Frag, frag);
    // Template sum plus the 16-bit words that vary per packet (RFC 1071).
    uint32_t sum = sa.outerTemplateSum() + pend.tos + pkt.length + static_cast<uint16_t>(pend.seq) + frag;
    storeBe16(h + ip::kV4Checksum, checksumFinish(sum));
  } else {
    h[0] = static_cast<uint8_t>(0x60 | pend.tos >> 4);
    h[1] = static_cast<uint8_t>(pend.tos << 4);
    storeBe16(h + ip::kV6PayloadLen, static_cast<uint16_t>(pkt.length - ip::kIpv6Header));
  }
  if (sa.config().udpEncap) {
    uint8_t* udp = h + ipLen;
    writeUdpHeader(udp, *sa.config().udpEncap, pkt.length - ipLen);
  }
}

void writeTransportHeaders(const SecurityAssociation& sa, PacketBuffer& pkt, const PendingPacket& pend) {
  uint8_t* h = pkt.data();
  const IpLayout& lay = pend.inner;
  const bool udp = sa.config().udpEncap.has_value();
  rewriteIpHeader(h, lay, udp ? ip::kProtoUdp : ip::kProtoEsp, pkt.length);
  if (udp) {
    uint8_t* u = h + lay.headerLen;
    writeUdpHeader(u, *sa.config().udpEncap, pkt.length - lay.headerLen);
  }
}

// UDP over IPv6 needs a real checksum (RFC 8200 8.1), over the ciphertext.
void fillUdpChecksumV6(const SecurityAssociation& sa, PacketBuffer& pkt, const PendingPacket& pend) {
  uint8_t* h = pkt.data();
  uint32_t udpOffset = sa.config().mode == Mode::Tunnel ? ip::kIpv6Header : pend.inner.headerLen;
  uint8_t* u = h + udpOffset;
  storeBe16(u + 6, transportChecksumV6(h + ip::kV6Src, h + ip::kV6Dst, ip::kProtoUdp, u, pkt.length - udpOffset));
}


// First pass: room, trailer, ESP header and IV, then describe the crypto op.
DropReason preparePacket(SecurityAssociation& sa, PacketBuffer& pkt, PendingPacket& pend, EspOpScratch& scratch,
                         CryptoOp& op) {
  const SaConfig& cfg = sa.config();
  const TransformInfo& info = sa.info();
  const bool tunnel = cfg.mode == Mode::Tunnel;

  IpLayout& lay = pend.inner;
  // Tunnel mode carries the inner packet opaquely: version and length suffice.
  DropReason r = tunnel ? measureIpPacket(pkt.bytes(), lay) : locateUpperLayer(pkt.bytes(), lay);
  if (r != DropReason::None) return r;
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
  // blockLen is a power of two (4 or 16): no division on the hot path.
  const uint32_t padLen = (0u - (payloadLen + tfc + kEspTrailerLen)) & (info.blockLen - 1u);
  const uint32_t head = sa.outerLen() + kEspHeaderLen + info.ivLen;
  if (pkt.headroom() < head || pkt.tailroom() < tfc + padLen + kEspTrailerLen + info.icvLen)
    return DropReason::NoHeadroom;

  // Trailer (RFC 4303 2.4-2.6): TFC zeros, pad 1, 2, 3..., pad length, NH.
  uint8_t* tail = pkt.append(tfc + padLen + kEspTrailerLen + info.icvLen);
  if (tfc) std::memset(tail, 0, tfc);
  // Always 16 bytes (a constant-size copy, no libc call): what lies beyond
  // padLen is pad length, next header and ICV space, all written below.
  std::memcpy(tail + tfc, kPadBytes, sizeof kPadBytes);
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

  // Headers now, while these cache lines are hot; only an IPv6 UDP checksum
  // has to wait for the ciphertext.
  if (tunnel)
    writeTunnelHeaders(sa, pkt, pend);
  else
    writeTransportHeaders(sa, pkt, pend);

  scratch.esp = esp;
  scratch.espLen = static_cast<uint32_t>(pkt.end() - esp);
  describeEspOp(sa, CryptoDirection::Encrypt, pend.seq, scratch, op);
  return DropReason::None;
}

void encapsulateChunk(SecurityAssociation& sa, CryptoEngine& engine, std::span<PacketBuffer*> pkts,
                          std::span<DropReason> reasons) {
  UninitializedArray<PendingPacket, kBurstChunk> pending;
  UninitializedArray<EspOpScratch, kBurstChunk> scratch;
  UninitializedArray<CryptoOp, kBurstChunk> ops;
  uint8_t opOf[kBurstChunk];  // packet index of each op
  uint32_t nOps = 0;

  for (uint32_t i = 0; i < pkts.size(); ++i) {
    reasons[i] = preparePacket(sa, *pkts[i], pending[i], scratch[nOps], ops[nOps]);
    if (reasons[i] == DropReason::None) opOf[nOps++] = static_cast<uint8_t>(i);
  }
  engine.process(sa.session(), sa.config().transform, CryptoDirection::Encrypt, {ops.data(), nOps});

  SaCounters& c = sa.counters();
  const bool udpV6 = sa.config().udpEncap && !sa.config().localAddress.isV4();
  for (uint32_t k = 0; k < nOps; ++k) {
    uint32_t i = opOf[k];
    restoreAfterEspOp(sa, scratch[k]);
    if (!ops[k].ok) {
      reasons[i] = DropReason::CryptoError;
      continue;
    }
    if (udpV6) fillUdpChecksumV6(sa, *pkts[i], pending[i]);
    c.packets++;
    c.bytes += pending[i].innerLen;
  }
}

}  // namespace

uint32_t espEncapsulate(SecurityAssociation& sa, CryptoEngine& engine, std::span<PacketBuffer*> pkts,
                        std::span<DropReason> reasons) {
  assert(sa.direction() == Direction::Outbound);
  return processInChunks(pkts, reasons, kBurstChunk, sa.counters().drops,
                         [&](auto chunkPkts, auto chunkReasons) { encapsulateChunk(sa, engine, chunkPkts, chunkReasons); });
}

}  // namespace ipsecgw::esp
