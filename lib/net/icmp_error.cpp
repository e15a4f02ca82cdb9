#include "net/icmp_error.hpp"

#include <algorithm>
#include <cstring>

#include "net/checksum.hpp"
#include "net/ip.hpp"
#include "net/ip_layout.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw {

namespace {

constexpr uint32_t kIcmpHeader = 8;
constexpr uint8_t kIcmpUnreachable = 3, kIcmpFragNeeded = 4, kIcmpTimeExceeded = 11;
constexpr uint8_t kIcmp6PacketTooBig = 2, kIcmp6TimeExceeded = 3;
constexpr uint8_t kErrorTtl = 64;  // RFC 1812 4.2.2.9 / RFC 4443: a fresh datagram
constexpr uint8_t kTosInternetControl = 0xc0;  // RFC 1812 4.3.2.5: precedence 6

// RFC 792 / RFC 1812 4.3.2.7: the ICMP types that are errors (the rest are
// queries and replies, about which errors may be sent).
bool isIcmpV4Error(uint8_t type) { return type == 3 || type == 4 || type == 5 || type == 11 || type == 12; }

bool v4SourceNamesOneHost(const uint8_t* a) {
  const uint32_t v = loadBe32(a);
  return v != 0 && v != 0xffffffff && a[0] != 127 && (a[0] & 0xf0) != 0xe0 && (a[0] & 0xf0) != 0xf0;
}

bool v4DestinationIsUnicast(const uint8_t* a) {
  return loadBe32(a) != 0xffffffff && (a[0] & 0xf0) != 0xe0;  // limited broadcast, 224/4 multicast
}

bool v6IsUnspecified(const uint8_t* a) {
  return std::all_of(a, a + 16, [](uint8_t b) { return b == 0; });
}

bool v6IsLoopback(const uint8_t* a) { return std::all_of(a, a + 15, [](uint8_t b) { return b == 0; }) && a[15] == 1; }

bool allowedV4(std::span<const uint8_t> p) {
  IpLayout lay;
  if (locateUpperLayer(p, lay) != DropReason::None || lay.family != IpFamily::V4) return false;
  const uint8_t* h = p.data();
  if ((loadBe16(h + ip::kV4Frag) & ip::kV4FragOffsetMask) != 0) return false;  // not the first fragment
  if (!v4SourceNamesOneHost(h + ip::kV4Src) || !v4DestinationIsUnicast(h + ip::kV4Dst)) return false;
  if (lay.upperProtocol == ip::kProtoIcmp) {
    if (lay.totalLen < lay.headerLen + 1) return false;  // cannot tell: stay silent
    if (isIcmpV4Error(h[lay.headerLen])) return false;
  }
  return true;
}

bool allowedV6(std::span<const uint8_t> p, IcmpError kind) {
  IpLayout lay;
  if (locateUpperLayer(p, lay) != DropReason::None || lay.family != IpFamily::V6) return false;
  const uint8_t* h = p.data();
  const uint8_t* src = h + ip::kV6Src;
  if (v6IsUnspecified(src) || src[0] == 0xff || v6IsLoopback(src)) return false;
  // RFC 4443 2.4(e.2): to a multicast destination only packet too big.
  if (h[ip::kV6Dst] == 0xff && kind != IcmpError::PacketTooBig) return false;
  if (lay.fragment) {
    // Find the fragment header and refuse a non-first fragment: walk again
    // (rare path) through the chain locateUpperLayer already validated.
    uint8_t nh = h[ip::kV6NextHeader];
    uint32_t off = ip::kIpv6Header;
    while (off < lay.headerLen) {
      if (nh == ip::kExtFragment) {
        if ((loadBe16(h + off + 2) & 0xfff8) != 0) return false;
        nh = h[off];
        off += 8;
      } else {
        const uint32_t len = (h[off + 1] + 1u) * 8;
        nh = h[off];
        off += len;
      }
    }
  }
  // RFC 4443 2.1: types below 128 are errors.
  if (lay.upperProtocol == ip::kProtoIcmpv6) {
    if (lay.totalLen < lay.headerLen + 1) return false;
    if (h[lay.headerLen] < 128) return false;
  }
  return true;
}

}  // namespace

bool icmpErrorAllowed(std::span<const uint8_t> offending, IcmpError kind) {
  if (offending.empty()) return false;
  switch (offending[0] >> 4) {
    case 4:
      return allowedV4(offending);
    case 6:
      return allowedV6(offending, kind);
    default:
      return false;
  }
}

uint32_t buildIcmpError(std::span<const uint8_t> offending, IcmpError kind, uint32_t mtu, const IpAddress& source,
                        std::span<uint8_t> out) {
  if (offending.empty()) return 0;
  const bool v4 = (offending[0] >> 4) == 4;
  if (v4 != source.isV4() || (!v4 && (offending[0] >> 4) != 6)) return 0;
  const uint32_t ipHeader = v4 ? ip::kIpv4MinHeader : ip::kIpv6Header;
  const uint32_t minQuote = v4 ? std::min<uint32_t>((offending[0] & 0x0f) * 4u + 8, offending.size())
                               : std::min<uint32_t>(ip::kIpv6Header + 8, offending.size());
  const uint32_t bound = std::min<uint32_t>(v4 ? kIcmpV4ErrorMax : kIcmpV6ErrorMax, out.size());
  if (bound < ipHeader + kIcmpHeader + minQuote) return 0;
  // Quote what the offending packet's own header claims, not Ethernet padding.
  IpLayout lay;
  uint32_t claimed = offending.size();
  if (measureIpPacket(offending, lay) == DropReason::None) claimed = lay.totalLen;
  const uint32_t quote = std::min(claimed, bound - ipHeader - kIcmpHeader);
  const uint32_t total = ipHeader + kIcmpHeader + quote;

  uint8_t* h = out.data();
  uint8_t* icmp = h + ipHeader;
  std::memset(h, 0, ipHeader + kIcmpHeader);
  std::memcpy(icmp + kIcmpHeader, offending.data(), quote);
  if (v4) {
    // 0                   1                   2                   3
    // |   Type = 3    |   Code = 4    |          Checksum             |
    // |           unused = 0          |         Next-Hop MTU          |   (RFC 1191 4)
    // |   Type = 11   |   Code = 0    |          Checksum             |
    // |                             unused                            |
    // |      Internet Header + leading octets of the original datagram |
    h[0] = 0x45;
    h[ip::kV4Tos] = kTosInternetControl;
    storeBe16(h + ip::kV4TotalLen, static_cast<uint16_t>(total));
    h[ip::kV4Ttl] = kErrorTtl;
    h[ip::kV4Proto] = ip::kProtoIcmp;
    std::memcpy(h + ip::kV4Src, source.bytes.data(), 4);
    std::memcpy(h + ip::kV4Dst, offending.data() + ip::kV4Src, 4);
    storeBe16(h + ip::kV4Checksum, ipv4HeaderChecksum(h, ip::kIpv4MinHeader));
    if (kind == IcmpError::PacketTooBig) {
      icmp[0] = kIcmpUnreachable;
      icmp[1] = kIcmpFragNeeded;
      storeBe16(icmp + 6, static_cast<uint16_t>(std::min<uint32_t>(mtu, 0xffff)));
    } else {
      icmp[0] = kIcmpTimeExceeded;
    }
    storeBe16(icmp + 2, checksumFinish(checksumPartial(icmp, kIcmpHeader + quote)));
    return total;
  }
  // |     Type = 2  |     Code = 0  |          Checksum             |
  // |                             MTU                               |   (RFC 4443 3.2)
  // |     Type = 3  |     Code = 0  |          Checksum             |
  // |                             Unused                            |   (RFC 4443 3.3)
  // |    As much of invoking packet as possible without the ICMPv6 packet exceeding 1280 |
  h[0] = 0x60;
  storeBe16(h + ip::kV6PayloadLen, static_cast<uint16_t>(kIcmpHeader + quote));
  h[ip::kV6NextHeader] = ip::kProtoIcmpv6;
  h[ip::kV6HopLimit] = kErrorTtl;
  std::memcpy(h + ip::kV6Src, source.bytes.data(), 16);
  std::memcpy(h + ip::kV6Dst, offending.data() + ip::kV6Src, 16);
  if (kind == IcmpError::PacketTooBig) {
    icmp[0] = kIcmp6PacketTooBig;
    storeBe32(icmp + 4, mtu);
  } else {
    icmp[0] = kIcmp6TimeExceeded;
  }
  storeBe16(icmp + 2, transportChecksumV6(h + ip::kV6Src, h + ip::kV6Dst, ip::kProtoIcmpv6, icmp, kIcmpHeader + quote));
  return total;
}

}  // namespace ipsecgw
