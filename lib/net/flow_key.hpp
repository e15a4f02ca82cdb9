// The selector values of one IP packet (RFC 4301 4.4.1.1): addresses, Next
// Layer Protocol and ports, as the SPD and the inbound selector check see them.
#pragma once

#include <cstdint>
#include <span>

#include "net/drop_reason.hpp"
#include "net/ip_address.hpp"
#include "net/ip.hpp"
#include "net/ip_layout.hpp"

namespace ipsecgw {

struct FlowKey {
  IpAddress src, dst;
  // Next Layer Protocol: the protocol after the IPv4 header, or after the
  // IPv6 extension header chain. For an IPv6 non-initial fragment it is the
  // Fragment header's Next Header (the rest of the chain is not in this
  // fragment).
  uint8_t proto = 0;
  // TCP/UDP/SCTP/DCCP/UDP-Lite ports. For ICMP and ICMPv6 the type is in
  // srcPort and the code in dstPort (RFC 4301 4.4.1.1, "ICMP type and code").
  // Zero when portsOpaque.
  uint16_t srcPort = 0, dstPort = 0;
  // RFC 4301 4.4.1.1 OPAQUE: this packet carries no port (type/code) values,
  // because it is a non-initial fragment, a first fragment too short to hold
  // them, or its protocol has no ports. An OPAQUE port only matches a
  // selector whose port range is ANY (0..65535).
  bool portsOpaque = false;

  // Same flow: a run of packets of one flow in a burst needs one SPD lookup.
  bool sameFlow(const FlowKey& o) const {
    return proto == o.proto && srcPort == o.srcPort && dstPort == o.dstPort && portsOpaque == o.portsOpaque &&
           src.family == o.src.family && src.bytes == o.src.bytes && dst.bytes == o.dst.bytes;
  }
};

// True for the protocols whose first four bytes are source and destination
// port (TCP, UDP, SCTP, DCCP, UDP-Lite) and for ICMP/ICMPv6 (type, code):
// the ones for which FlowKey carries port values.
// Inline: the SPD classification asks it per packet.
inline bool protocolHasPorts(uint8_t proto) {
  switch (proto) {
    case ip::kProtoTcp:
    case ip::kProtoUdp:
    case 33:   // DCCP
    case 132:  // SCTP
    case 136:  // UDP-Lite
    case ip::kProtoIcmp:
    case ip::kProtoIcmpv6:
      return true;
    default:
      return false;
  }
}

// Extracts the flow key of an IPv4 or IPv6 packet (starting at the IP header).
// Returns None on success; Malformed when a length is inconsistent or a header
// runs past the packet; UnsupportedProtocol when the version is not 4 or 6.
//
// Lengths: the IP header's length (IPv4 total length, IPv6 40 + payload
// length) must fit in `ipPacket`; bytes after it (Ethernet padding) are
// ignored and never read. IPv6 jumbograms (payload length 0, RFC 2675) are not
// supported: payload length 0 means an empty payload.
//
// Truncated upper-layer header, decided as follows:
//  - in a packet that is not a fragment, a port protocol whose header ends
//    before the ports (4 bytes; ICMP: 2 bytes) is Malformed: no sender can
//    produce it, and classifying it as OPAQUE would let it reach policies
//    that a well-formed packet of the same flow could not.
//  - in a first fragment it is OPAQUE (RFC 4301 4.4.1.1 / 7): the ports are
//    not available in this fragment; the SPD then only matches ANY-port
//    policies, so the fragment cannot slip into a port-specific BYPASS.
// A non-initial fragment always has OPAQUE ports (RFC 4301 4.4.1.1, 7.1).
//
// IPv6: Hop-by-Hop, Routing, Destination Options and Fragment headers are
// walked (at most 8, RFC 8200 4.1 allows each once, Destination Options
// twice); anything else (including AH, ESP, Mobility) is the upper layer.
//
// Data plane: never allocates, throws or logs; reads only inside `ipPacket`.
// On failure `out` is unspecified.
DropReason parseFlowKey(std::span<const uint8_t> ipPacket, FlowKey& out);

// The same key, for a packet whose headers locateUpperLayer() (ip_layout.hpp)
// already walked into `layout`: the data plane parses each packet once.
// Returns exactly what parseFlowKey(ipPacket, out) returns. IPv6 fragments
// are walked again (the layout does not say whether this is the first one).
// `layout` must be what locateUpperLayer returned None for on `ipPacket`.
DropReason parseFlowKey(std::span<const uint8_t> ipPacket, const IpLayout& layout, FlowKey& out);

}  // namespace ipsecgw
