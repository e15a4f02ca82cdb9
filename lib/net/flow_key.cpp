#include "net/flow_key.hpp"

#include <cstring>

#include "net/ip.hpp"
#include "util/byte_reader.hpp"

namespace ipsecgw {

namespace {

// Whether the packet (or fragment) holds the start of the upper-layer header.
enum class FragmentKind : uint8_t { NotFragment, First, NonInitial };

// Reads ports (or ICMP type/code) from the upper-layer header in `l4`, which
// is bounded by the IP length. See parseFlowKey for the truncation rules.
// Inline into each parser: the data path classifies every outbound packet.
[[gnu::always_inline]] inline DropReason readPorts(std::span<const uint8_t> l4, FragmentKind frag, FlowKey& out) {
  out.srcPort = 0;
  out.dstPort = 0;
  out.portsOpaque = true;
  if (frag == FragmentKind::NonInitial || !protocolHasPorts(out.proto)) return DropReason::None;
  ByteReader r(l4);
  bool ok;
  if (out.proto == ip::kProtoIcmp || out.proto == ip::kProtoIcmpv6) {
    uint8_t type = 0, code = 0;
    ok = r.readU8(type) && r.readU8(code);
    out.srcPort = type;
    out.dstPort = code;
  } else {
    ok = r.readU16(out.srcPort) && r.readU16(out.dstPort);
  }
  if (!ok) {
    out.srcPort = 0;
    out.dstPort = 0;
    return frag == FragmentKind::First ? DropReason::None : DropReason::Malformed;
  }
  out.portsOpaque = false;
  return DropReason::None;
}

// IpAddress::v4/v6 written in place: assigning a returned temporary costs more
// than the parse itself when it is written in pieces and read back 16 bytes
// at once (store forwarding fails).
void setAddress(IpAddress& a, IpFamily family, const uint8_t* p) {
  if (family == IpFamily::V4)
    a.setV4(p);
  else
    a.setV6(p);
}

FragmentKind v4FragmentKind(const uint8_t* p) {
  uint16_t frag = loadBe16(p + ip::kV4Frag);
  if ((frag & ip::kV4FragOffsetMask) != 0) return FragmentKind::NonInitial;
  return (frag & ip::kV4FlagMf) != 0 ? FragmentKind::First : FragmentKind::NotFragment;
}

DropReason parseV4(std::span<const uint8_t> p, FlowKey& out) {
  if (p.size() < ip::kIpv4MinHeader) return DropReason::Malformed;
  uint32_t ihl = (p[0] & 0x0fu) * 4u;
  uint32_t total = loadBe16(p.data() + ip::kV4TotalLen);
  if (ihl < ip::kIpv4MinHeader || total < ihl || total > p.size()) return DropReason::Malformed;
  FragmentKind kind = v4FragmentKind(p.data());
  setAddress(out.src, IpFamily::V4, p.data() + ip::kV4Src);
  setAddress(out.dst, IpFamily::V4, p.data() + ip::kV4Dst);
  out.proto = p[ip::kV4Proto];
  // Options are skipped by starting the upper layer at IHL.
  return readPorts(p.subspan(ihl, total - ihl), kind, out);
}

DropReason parseV6(std::span<const uint8_t> p, FlowKey& out) {
  if (p.size() < ip::kIpv6Header) return DropReason::Malformed;
  uint32_t total = ip::kIpv6Header + loadBe16(p.data() + ip::kV6PayloadLen);
  if (total > p.size()) return DropReason::Malformed;
  setAddress(out.src, IpFamily::V6, p.data() + ip::kV6Src);
  setAddress(out.dst, IpFamily::V6, p.data() + ip::kV6Dst);
  ByteReader r(p.subspan(ip::kIpv6Header, total - ip::kIpv6Header));
  uint8_t nh = p[ip::kV6NextHeader];
  FragmentKind kind = FragmentKind::NotFragment;
  // RFC 8200 4.1 allows each extension header once (Destination Options
  // twice); a longer chain is an attack, not a packet.
  for (int hops = 0; hops < 8; ++hops) {
    switch (nh) {
      case ip::kExtHopByHop:
      case ip::kExtRouting:
      case ip::kExtDestOpts: {
        uint8_t next = 0, len = 0;
        if (!r.readU8(next) || !r.readU8(len) || !r.skip((len + 1u) * 8u - 2u)) return DropReason::Malformed;
        nh = next;
        break;
      }
      case ip::kExtFragment: {
        // RFC 8200 4.5: Next Header, reserved, offset(13)|res(2)|M(1), Identification.
        uint8_t next = 0, reserved = 0;
        uint16_t offsetFlags = 0;
        if (!r.readU8(next) || !r.readU8(reserved) || !r.readU16(offsetFlags) || !r.skip(4)) {
          return DropReason::Malformed;
        }
        nh = next;
        if ((offsetFlags >> 3) != 0) {
          // What follows is the middle of the fragmentable part, not headers.
          out.proto = nh;
          return readPorts({}, FragmentKind::NonInitial, out);
        }
        // An atomic fragment (offset 0, M clear; RFC 6946) is a whole packet.
        if ((offsetFlags & 1u) != 0) kind = FragmentKind::First;
        break;
      }
      default:
        out.proto = nh;
        return readPorts(r.rest(), kind, out);
    }
  }
  return DropReason::Malformed;
}

}  // namespace

DropReason parseFlowKey(std::span<const uint8_t> ipPacket, FlowKey& out) {
  if (ipPacket.empty()) return DropReason::Malformed;
  switch (ipPacket[0] >> 4) {
    case 4:
      return parseV4(ipPacket, out);
    case 6:
      return parseV6(ipPacket, out);
    default:
      return DropReason::UnsupportedProtocol;
  }
}

DropReason parseFlowKey(std::span<const uint8_t> ipPacket, const IpLayout& layout, FlowKey& out) {
  // The layout's checks (version, header and total lengths within the
  // buffer, the IPv6 chain) are the ones parseV4/parseV6 make; only the
  // ports are left to read, from the upper-layer header up to totalLen.
  // A layout that does not fit this packet was not made from it: parse anew.
  if (layout.totalLen > ipPacket.size() || layout.headerLen > layout.totalLen) return parseFlowKey(ipPacket, out);
  const std::span<const uint8_t> l4 = ipPacket.subspan(layout.headerLen, layout.totalLen - layout.headerLen);
  if (layout.family == IpFamily::V4) {
    setAddress(out.src, IpFamily::V4, ipPacket.data() + ip::kV4Src);
    setAddress(out.dst, IpFamily::V4, ipPacket.data() + ip::kV4Dst);
    out.proto = layout.upperProtocol;
    return readPorts(l4, v4FragmentKind(ipPacket.data()), out);
  }
  if (layout.fragment) return parseV6(ipPacket, out);
  setAddress(out.src, IpFamily::V6, ipPacket.data() + ip::kV6Src);
  setAddress(out.dst, IpFamily::V6, ipPacket.data() + ip::kV6Dst);
  out.proto = layout.upperProtocol;
  return readPorts(l4, FragmentKind::NotFragment, out);
}

}  // namespace ipsecgw
