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

// Everything the per-packet code reads from the SA, copied into a local once
// per chunk (EspSaParams says why).
struct OutboundParams {
  EspSaParams esp;
  bool tunnel;
  bool v4;  // the SA's address family: the outer header's in tunnel mode
  bool udp;
  DfPolicy df;
  UdpEncap ports;
  uint32_t tfcPadTo;
  uint32_t outerLen;   // outer IP (tunnel) + UDP (if any)
  uint32_t head;       // outerLen + ESP header + IV
  uint32_t outerSum;   // IPv4 template checksum partial sum
  const uint8_t* outerTemplate;

  static OutboundParams of(const SecurityAssociation& sa) {
    const SaConfig& c = sa.config();
    return {EspSaParams::of(sa),
            c.mode == Mode::Tunnel,
            c.localAddress.isV4(),
            c.udpEncap.has_value(),
            c.df,
            c.udpEncap.value_or(UdpEncap{}),
            c.tfcPadTo,
            sa.outerLen(),
            sa.headerOverhead(),
            sa.outerTemplateSum(),
            sa.outerTemplate()};
  }
};

// What the second step needs to know about a packet the first one checked.
struct PendingPacket {
  IpLayout inner;      // transport mode: the kept IP header
  uint32_t innerLen;   // plaintext bytes (for counters)
  uint32_t tfc;        // TFC padding bytes (RFC 4303 2.7)
  uint32_t padLen;     // RFC 4303 2.4 padding bytes
  uint8_t tos;         // inner DSCP+ECN, copied to the outer header (RFC 4301 5.1.2.1)
  bool innerDf;
  uint64_t seq;
};

[[gnu::always_inline]] inline uint8_t innerTrafficClass(const uint8_t* p, IpFamily f) {
  return f == IpFamily::V4 ? p[ip::kV4Tos] : static_cast<uint8_t>((p[0] & 0x0f) << 4 | p[1] >> 4);
}

[[gnu::always_inline]] inline void writeUdpHeader(uint8_t* udp, const UdpEncap& encap, uint32_t udpLen) {
  storeBe16(udp, encap.srcPort);
  storeBe16(udp + 2, encap.dstPort);
  storeBe16(udp + 4, static_cast<uint16_t>(udpLen));
  storeBe16(udp + 6, 0);  // RFC 3948 2.1: zero over IPv4; IPv6 fills it after crypto
}

// h: the new start of the packet, totalLen bytes long.
[[gnu::always_inline]] inline void writeTunnelHeaders(const OutboundParams& p, uint8_t* h, uint32_t totalLen,
                                                      const PendingPacket& pend) {
  const uint32_t ipLen = p.v4 ? ip::kIpv4MinHeader : ip::kIpv6Header;
  const uint8_t tos = pend.tos;
  // Constant-size copies of the template; the UDP ports come with the UDP
  // header written below.
  if (p.v4) {
    const bool df = p.df == DfPolicy::Set || (p.df == DfPolicy::Copy && pend.innerDf);
    const uint16_t frag = df ? ip::kV4FlagDf : 0;
    const uint16_t id = static_cast<uint16_t>(pend.seq);
    // Template sum plus the 16-bit words that vary per packet (RFC 1071).
    const uint32_t sum = p.outerSum + tos + totalLen + id + frag;
    std::memcpy(h, p.outerTemplate, ip::kIpv4MinHeader);
    h[ip::kV4Tos] = tos;
    storeBe16(h + ip::kV4TotalLen, static_cast<uint16_t>(totalLen));
    storeBe16(h + ip::kV4Id, id);
    storeBe16(h + ip::kV4Frag, frag);
    storeBe16(h + ip::kV4Checksum, checksumFinish(sum));
  } else {
    std::memcpy(h, p.outerTemplate, ip::kIpv6Header);
    h[0] = static_cast<uint8_t>(0x60 | tos >> 4);
    h[1] = static_cast<uint8_t>(tos << 4);
    storeBe16(h + ip::kV6PayloadLen, static_cast<uint16_t>(totalLen - ip::kIpv6Header));
  }
  if (p.udp) writeUdpHeader(h + ipLen, p.ports, totalLen - ipLen);
}

void writeTransportHeaders(const OutboundParams& p, uint8_t* h, uint32_t totalLen, const PendingPacket& pend) {
  const IpLayout& lay = pend.inner;
  rewriteIpHeader(h, lay, p.udp ? ip::kProtoUdp : ip::kProtoEsp, totalLen);
  if (p.udp) writeUdpHeader(h + lay.headerLen, p.ports, totalLen - lay.headerLen);
}

// UDP over IPv6 needs a real checksum (RFC 8200 8.1), over the ciphertext.
void fillUdpChecksumV6(const OutboundParams& p, PacketBuffer& pkt, const PendingPacket& pend) {
  uint8_t* h = pkt.data();
  uint32_t udpOffset = p.tunnel ? ip::kIpv6Header : pend.inner.headerLen;
  uint8_t* u = h + udpOffset;
  storeBe16(u + 6, transportChecksumV6(h + ip::kV6Src, h + ip::kV6Dst, ip::kProtoUdp, u, pkt.length - udpOffset));
}

// The per-packet steps are specialised per transform kind and mode (`Tunnel`
// == p.tunnel), chosen once per burst in espEncapsulate.

// First step, reading only: is the packet fit to be protected, and how long
// will its trailer be.
template <TransformKind Kind, bool Tunnel>
[[gnu::always_inline]] inline DropReason checkPacket(const OutboundParams& p, PacketBuffer& pkt, PendingPacket& pend) {
  constexpr KindGeometry geo = kindGeometry(Kind);
  IpLayout& lay = pend.inner;
  // Tunnel mode carries the inner packet opaquely: version and length suffice.
  DropReason r = Tunnel ? measureIpPacket(pkt.bytes(), lay) : locateUpperLayer(pkt.bytes(), lay);
  if (r != DropReason::None) return r;
  if (!Tunnel) {
    // Transport mode protects whole datagrams between the SA's own endpoints.
    if ((lay.family == IpFamily::V4) != p.v4) return DropReason::WrongFamily;
    if (lay.fragment) return DropReason::UnsupportedProtocol;
  }
  const uint8_t* data = pkt.data();
  const uint32_t innerLen = lay.totalLen;  // drop link-layer padding, never encrypt it
  const uint32_t payloadLen = innerLen - (Tunnel ? 0 : lay.headerLen);
  const uint32_t tfc = p.tfcPadTo > payloadLen ? p.tfcPadTo - payloadLen : 0;
  // blockLen is a power of two (4 or 16): no division on the hot path.
  const uint32_t padLen = (0u - (payloadLen + tfc + kEspTrailerLen)) & (geo.blockLen - 1u);
  if (pkt.headroom() < p.head || pkt.capacity - pkt.offset - innerLen < tfc + padLen + kEspTrailerLen + geo.icvLen)
    return DropReason::NoHeadroom;
  pend.innerLen = innerLen;
  pend.tfc = tfc;
  pend.padLen = padLen;
  pend.tos = innerTrafficClass(data, lay.family);
  pend.innerDf = lay.family == IpFamily::V6 || (loadBe16(data + ip::kV4Frag) & ip::kV4FlagDf) != 0;
  return DropReason::None;
}

// Second step, writing: trailer, ESP header and IV, outer headers, then the
// crypto op. Every length and pointer is computed before the first byte is
// written.
template <TransformKind Kind, bool Tunnel>
[[gnu::always_inline]] inline void buildPacket(const OutboundParams& p, PacketBuffer& pkt, const PendingPacket& pend,
                                               EspOpScratch& scratch, CryptoOp& op) {
  constexpr KindGeometry geo = kindGeometry(Kind);
  const uint32_t keptHeader = Tunnel ? 0 : pend.inner.headerLen;
  const uint32_t innerLen = pend.innerLen;
  const uint32_t tfc = pend.tfc, padLen = pend.padLen;
  const uint64_t seq = pend.seq;
  const uint8_t nextHeader = Tunnel ? (pend.inner.family == IpFamily::V4 ? ip::kProtoIpip : ip::kProtoIpv6)
                                    : pend.inner.upperProtocol;
  const uint32_t totalLen = p.head + innerLen + tfc + padLen + kEspTrailerLen + geo.icvLen;
  uint8_t* const old = pkt.data();
  uint8_t* const h = old - p.head;  // room was checked
  uint8_t* const tail = old + innerLen;
  uint8_t* const esp = h + keptHeader + p.outerLen;
  pkt.offset -= p.head;
  pkt.length = totalLen;

  // Trailer (RFC 4303 2.4-2.6): TFC zeros, pad 1, 2, 3..., pad length, NH.
  if (tfc) std::memset(tail, 0, tfc);
  // Always 16 bytes (a constant-size copy, no libc call): what lies beyond
  // padLen is pad length, next header and ICV space, all written below.
  std::memcpy(tail + tfc, kPadBytes, sizeof kPadBytes);
  tail[tfc + padLen] = static_cast<uint8_t>(padLen);
  tail[tfc + padLen + 1] = nextHeader;

  if (!Tunnel) std::memmove(h, old, keptHeader);  // IP header stays in front
  storeBe32(esp, p.esp.spi);
  storeBe32(esp + 4, static_cast<uint32_t>(seq));
  if constexpr (geo.ivLen == 8) {
    // RFC 4106 3.1 / RFC 7634 2: the IV must never repeat under a key; the
    // 64-bit sequence number is unique per SA, so it is the IV.
    storeBe64(esp + kEspHeaderLen, seq);
  } else if constexpr (geo.ivLen == 16) {
    // CBC counter block; the engine encrypts it into an unpredictable IV.
    storeBe64(esp + kEspHeaderLen, seq);
    storeBe32(esp + kEspHeaderLen + 8, p.esp.spi);
    storeBe32(esp + kEspHeaderLen + 12, 0);
  }

  // Headers now, while these cache lines are hot; only an IPv6 UDP checksum
  // has to wait for the ciphertext.
  if constexpr (Tunnel)
    writeTunnelHeaders(p, h, totalLen, pend);
  else
    writeTransportHeaders(p, h, totalLen, pend);

  scratch.esp = esp;
  scratch.espLen = totalLen - keptHeader - p.outerLen;
  describeEspOpAs<Kind>(p.esp, CryptoDirection::Encrypt, seq, scratch, op);
}

// Numbers the checked packets one by one (RFC 4303 3.3.3: the counter never
// cycles; a rekey must come first) and charges the lifetime exactly to the
// packet: the path for a burst that may reach a limit.
void numberAndChargeEach(SecurityAssociation& sa, std::span<PendingPacket> pending, std::span<DropReason> reasons) {
  LifetimeBatch life(sa.lifetime());
  for (size_t i = 0; i < pending.size(); ++i) {
    if (reasons[i] != DropReason::None) continue;
    if (!sa.nextSequence(pending[i].seq)) {
      reasons[i] = DropReason::SeqOverflow;
      continue;
    }
    if (!life.consume(pending[i].innerLen)) reasons[i] = DropReason::LifetimeExpired;
  }
  life.commit();
}

// Returns how many packets succeeded.
template <TransformKind Kind, bool Tunnel>
uint32_t encapsulateChunk(SecurityAssociation& sa, CryptoEngine& engine, std::span<PacketBuffer*> pkts,
                      std::span<DropReason> reasons) {
  UninitializedArray<PendingPacket, kBurstChunk> pending;
  UninitializedArray<EspOpScratch, kBurstChunk> scratch;
  UninitializedArray<CryptoOp, kBurstChunk> ops;
  uint8_t opOf[kBurstChunk];  // packet index of each op
  uint32_t nOps = 0;
  const OutboundParams p = OutboundParams::of(sa);
  const uint32_t n = static_cast<uint32_t>(pkts.size());

  // First pass, reading only: which packets can be protected, how long.
  uint32_t fit = 0;
  uint64_t fitBytes = 0;
  for (uint32_t i = 0; i < n; ++i) {
    DropReason r = checkPacket<Kind, Tunnel>(p, *pkts[i], pending[i]);
    reasons[i] = r;
    if (r == DropReason::None) {
      ++fit;
      fitBytes += pending[i].innerLen;
    }
  }

  // Sequence numbers and lifetime: usually the whole burst stays below every
  // limit, so it is charged and its numbers reserved at once (after DPDK's
  // esn_outb_update_sqn); otherwise packet by packet.
  // (Another worker may take the last numbers between the check and the
  // reservation: then this burst is numbered and charged packet by packet,
  // its lifetime charge counted twice, on the way to a rekey anyway.)
  uint64_t seq = 0;
  const bool wholeBurst = sa.sequenceLimit() - sa.lastSequence() >= fit && sa.lifetime().tryAdd(fit, fitBytes) &&
                          (fit == 0 || sa.reserveSequences(fit, seq));
  if (wholeBurst)
    --seq;  // numbered from seq + 1 below
  else
    numberAndChargeEach(sa, {pending.data(), n}, reasons.first(n));

  // Second pass, writing.
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (reasons[i] != DropReason::None) continue;
    if (wholeBurst) pending[i].seq = ++seq;
    bytes += pending[i].innerLen;
    buildPacket<Kind, Tunnel>(p, *pkts[i], pending[i], scratch[nOps], ops[nOps]);
    opOf[nOps++] = static_cast<uint8_t>(i);
  }

  engine.process(sa.session(), sa.config().transform, CryptoDirection::Encrypt, {ops.data(), nOps});

  // After the engine: usually only its verdicts are left to look at.
  const bool udpV6 = p.udp && !p.v4;
  const bool restore = Kind == TransformKind::GmacOnly && p.esp.esn;
  uint64_t packets = nOps;
  for (uint32_t k = 0; k < nOps; ++k) {
    uint32_t i = opOf[k];
    if (restore) restoreAfterEspOp(p.esp, scratch[k]);
    if (!ops[k].ok) {
      reasons[i] = DropReason::CryptoError;
      --packets;
      bytes -= pending[i].innerLen;
      continue;
    }
    if (udpV6) fillUdpChecksumV6(p, *pkts[i], pending[i]);
  }
  SaCounters& c = sa.counters();
  c.packets += packets;
  c.bytes += bytes;
  return static_cast<uint32_t>(packets);
}

}  // namespace

uint32_t espEncapsulate(SecurityAssociation& sa, CryptoEngine& engine, std::span<PacketBuffer*> pkts,
                        std::span<DropReason> reasons) {
  assert(sa.direction() == Direction::Outbound);
  // The SA's routine, chosen once per burst: no test of kind or mode per packet.
  return withKind(sa.info().kind, [&](auto kind) {
    constexpr TransformKind K = decltype(kind)::value;
    auto chunkFn = sa.config().mode == Mode::Tunnel ? encapsulateChunk<K, true> : encapsulateChunk<K, false>;
    return processInChunks(pkts, reasons, kBurstChunk, sa.counters().drops, [&](auto chunkPkts, auto chunkReasons) {
      return chunkFn(sa, engine, chunkPkts, chunkReasons);
    });
  });
}

}  // namespace ipsecgw::esp
