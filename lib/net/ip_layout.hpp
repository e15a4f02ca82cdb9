// Where the upper-layer header of an IP packet starts: after the IPv4 header
// with its options, or after the chain of IPv6 extension headers (RFC 8200
// 4.1). ESP transport mode inserts its header there, and decapsulation finds
// the ESP (or UDP-encapsulated ESP) header there.
#pragma once

#include <cstdint>
#include <span>

#include "net/ip.hpp"
#include "util/byte_order.hpp"

#include "net/drop_reason.hpp"
#include "net/ip_address.hpp"

namespace ipsecgw {

struct IpLayout {
  IpFamily family = IpFamily::V4;
  uint32_t headerLen = 0;         // bytes before the upper-layer header
  uint32_t nextHeaderOffset = 0;  // offset of the byte that names the upper layer
  uint8_t upperProtocol = 0;      // value of that byte
  uint32_t totalLen = 0;          // packet length claimed by the IP header
  bool fragment = false;          // IPv4 MF/offset set, or an IPv6 fragment header
};

// Parses the IP header(s) of `packet`. Fails with Malformed when a length does
// not fit the buffer and UnsupportedProtocol when the version is not 4 or 6.
// Bytes past totalLen (Ethernet padding) are allowed and ignored.
DropReason locateUpperLayerSlow(std::span<const uint8_t> packet, IpLayout& out);
inline DropReason locateUpperLayer(std::span<const uint8_t> p, IpLayout& out) {
  // Most packets are IPv4 without options and not fragmented: decide inline.
  if (p.size() >= ip::kIpv4MinHeader && p[0] == 0x45) {
    uint32_t total = loadBe16(p.data() + ip::kV4TotalLen);
    uint16_t frag = loadBe16(p.data() + ip::kV4Frag);
    if (total >= ip::kIpv4MinHeader && total <= p.size()) {
      out.family = IpFamily::V4;
      out.headerLen = ip::kIpv4MinHeader;
      out.nextHeaderOffset = ip::kV4Proto;
      out.upperProtocol = p[ip::kV4Proto];
      out.totalLen = total;
      out.fragment = (frag & (ip::kV4FlagMf | ip::kV4FragOffsetMask)) != 0;
      return DropReason::None;
    }
  }
  return locateUpperLayerSlow(p, out);
}

// The light check for a packet carried opaquely (tunnel-mode inner packets):
// version and length only, no walk through extension headers. Sets family and
// totalLen of `out`; totalLen must fit in `packet`.
inline DropReason measureIpPacket(std::span<const uint8_t> p, IpLayout& out) {
  const uint8_t version = p.empty() ? 0 : p[0] >> 4;
  if (version == 4 && p.size() >= ip::kIpv4MinHeader) {
    out.family = IpFamily::V4;
    out.totalLen = loadBe16(p.data() + ip::kV4TotalLen);
    return out.totalLen >= ip::kIpv4MinHeader && out.totalLen <= p.size() ? DropReason::None : DropReason::Malformed;
  }
  if (version == 6 && p.size() >= ip::kIpv6Header) {
    out.family = IpFamily::V6;
    out.totalLen = ip::kIpv6Header + loadBe16(p.data() + ip::kV6PayloadLen);
    return out.totalLen <= p.size() ? DropReason::None : DropReason::Malformed;
  }
  return version == 4 || version == 6 ? DropReason::Malformed : DropReason::UnsupportedProtocol;
}


// After a header was inserted or removed behind the IP header(s): set the
// byte at layout.nextHeaderOffset to `upperProtocol`, write the new length
// (IPv4 total length and header checksum; IPv6 payload length).
void rewriteIpHeader(uint8_t* packet, const IpLayout& layout, uint8_t upperProtocol, uint32_t totalLen);

}  // namespace ipsecgw
