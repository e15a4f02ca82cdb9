#include "net/ip_layout.hpp"

#include "net/checksum.hpp"
#include "net/ip.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw {

namespace {

DropReason locateV4(std::span<const uint8_t> p, IpLayout& out) {
  if (p.size() < ip::kIpv4MinHeader) return DropReason::Malformed;
  uint32_t ihl = (p[0] & 0x0f) * 4u;
  uint32_t total = loadBe16(p.data() + ip::kV4TotalLen);
  if (ihl < ip::kIpv4MinHeader || total < ihl || total > p.size()) return DropReason::Malformed;
  uint16_t frag = loadBe16(p.data() + ip::kV4Frag);
  out.family = IpFamily::V4;
  out.headerLen = ihl;
  out.nextHeaderOffset = ip::kV4Proto;
  out.upperProtocol = p[ip::kV4Proto];
  out.totalLen = total;
  out.fragment = (frag & (ip::kV4FlagMf | ip::kV4FragOffsetMask)) != 0;
  return DropReason::None;
}

DropReason locateV6(std::span<const uint8_t> p, IpLayout& out) {
  if (p.size() < ip::kIpv6Header) return DropReason::Malformed;
  uint32_t total = ip::kIpv6Header + loadBe16(p.data() + ip::kV6PayloadLen);
  if (total > p.size()) return DropReason::Malformed;
  out.family = IpFamily::V6;
  out.totalLen = total;
  out.fragment = false;
  uint32_t nhOffset = ip::kV6NextHeader;
  uint32_t off = ip::kIpv6Header;
  uint8_t nh = p[nhOffset];
  // A chain longer than this is an attack, not a packet (RFC 8200 allows each
  // header once, Destination Options twice).
  for (int hops = 0; hops < 8; ++hops) {
    uint32_t extLen;
    switch (nh) {
      case ip::kExtHopByHop:
      case ip::kExtRouting:
      case ip::kExtDestOpts:
        if (off + 2 > total) return DropReason::Malformed;
        extLen = (p[off + 1] + 1u) * 8;
        break;
      case ip::kExtFragment:
        extLen = 8;
        out.fragment = true;
        break;
      default:
        out.headerLen = off;
        out.nextHeaderOffset = nhOffset;
        out.upperProtocol = nh;
        return DropReason::None;
    }
    if (off + extLen > total) return DropReason::Malformed;
    nhOffset = off;
    nh = p[off];
    off += extLen;
  }
  return DropReason::Malformed;
}

}  // namespace

DropReason locateUpperLayerSlow(std::span<const uint8_t> packet, IpLayout& out) {
  if (packet.empty()) return DropReason::Malformed;
  switch (packet[0] >> 4) {
    case 4:
      return locateV4(packet, out);
    case 6:
      return locateV6(packet, out);
    default:
      return DropReason::UnsupportedProtocol;
  }
}

}  // namespace ipsecgw

namespace ipsecgw {

void rewriteIpHeader(uint8_t* packet, const IpLayout& layout, uint8_t upperProtocol, uint32_t totalLen) {
  packet[layout.nextHeaderOffset] = upperProtocol;
  if (layout.family == IpFamily::V4) {
    storeBe16(packet + ip::kV4TotalLen, static_cast<uint16_t>(totalLen));
    storeBe16(packet + ip::kV4Checksum, 0);
    storeBe16(packet + ip::kV4Checksum, ipv4HeaderChecksum(packet, layout.headerLen));
  } else {
    storeBe16(packet + ip::kV6PayloadLen, static_cast<uint16_t>(totalLen - ip::kIpv6Header));
  }
}

}  // namespace ipsecgw
