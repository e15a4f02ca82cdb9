#include "dataplane/ike_datagram.hpp"

#include <cstring>

#include "net/checksum.hpp"
#include "net/ip.hpp"
#include "util/byte_order.hpp"
#include "util/byte_reader.hpp"

namespace ipsecgw::dataplane {

namespace {

constexpr uint32_t kMarkerLen = 4;  // RFC 3948 2.2 non-ESP marker

// A message on port 4500 (either side: after the switch of RFC 7296 2.23 one
// side may be NATed to another port) carries the marker.
// A NAT keepalive (RFC 3948 2.3) is the single 0xFF octet with no marker.
bool needsMarker(const ike::Datagram& d) {
  return !d.keepalive && (d.local.port != ip::kIkePort || d.remote.port != ip::kIkePort);
}

// UDP checksum over the IPv4 pseudo-header (RFC 768); the checksum field of
// `udp` must be zero. 0 goes on the wire as 0xffff.
uint16_t udpChecksumV4(const uint8_t* src4, const uint8_t* dst4, const uint8_t* udp, uint32_t len) {
  uint8_t pseudo[12];
  std::memcpy(pseudo, src4, 4);
  std::memcpy(pseudo + 4, dst4, 4);
  pseudo[8] = 0;
  pseudo[9] = ip::kProtoUdp;
  storeBe16(pseudo + 10, static_cast<uint16_t>(len));
  const uint16_t c = checksumFinish(checksumPartial(udp, len, checksumPartial(pseudo, sizeof pseudo)));
  return c == 0 ? 0xffff : c;
}

}  // namespace

IkeRxKind classifyIke(std::span<const uint8_t> packet, const IpLayout& lay) {
  if (lay.upperProtocol != ip::kProtoUdp || lay.fragment) return IkeRxKind::NotIke;
  if (lay.totalLen > packet.size() || lay.totalLen < lay.headerLen + ip::kUdpHeader) return IkeRxKind::NotIke;
  const uint8_t* udp = packet.data() + lay.headerLen;
  const uint16_t dport = loadBe16(udp + 2);
  if (dport == ip::kIkePort) return IkeRxKind::Ike;
  if (dport != ip::kNatTPort) return IkeRxKind::NotIke;
  const std::span<const uint8_t> payload = packet.subspan(lay.headerLen + ip::kUdpHeader,
                                                          lay.totalLen - lay.headerLen - ip::kUdpHeader);
  if (payload.size() == 1 && payload[0] == 0xff) return IkeRxKind::NatKeepalive;
  // A zero first word can only be the marker: SPI 0 is reserved (RFC 4303 2.1).
  if (payload.size() >= kMarkerLen && loadBe32(payload.data()) == 0) return IkeRxKind::Ike;
  return IkeRxKind::NotIke;
}

DropReason decodeIkeDatagram(std::span<const uint8_t> packet, ike::Datagram& out, bool& badChecksum) {
  badChecksum = false;
  IpLayout lay;
  if (DropReason r = locateUpperLayer(packet, lay); r != DropReason::None) return r;
  if (lay.upperProtocol != ip::kProtoUdp || lay.fragment) return DropReason::Malformed;
  const bool v4 = lay.family == IpFamily::V4;
  const uint8_t* ipHdr = packet.data();
  ByteReader udp(packet.subspan(lay.headerLen, lay.totalLen - lay.headerLen));
  uint16_t sport, dport, udpLen, sum;
  if (!udp.readU16(sport) || !udp.readU16(dport) || !udp.readU16(udpLen) || !udp.readU16(sum))
    return DropReason::Malformed;
  // RFC 768: the UDP length covers header and data and must fit the IP payload.
  if (udpLen < ip::kUdpHeader || udpLen - ip::kUdpHeader > udp.remaining()) return DropReason::Malformed;
  const uint8_t* udpStart = packet.data() + lay.headerLen;
  if (!v4 || sum != 0) {  // IPv4's 0 means "no checksum" (RFC 768)
    uint32_t acc;
    if (v4) {
      uint8_t pseudo[12];
      std::memcpy(pseudo, ipHdr + ip::kV4Src, 4);
      std::memcpy(pseudo + 4, ipHdr + ip::kV4Dst, 4);
      pseudo[8] = 0;
      pseudo[9] = ip::kProtoUdp;
      storeBe16(pseudo + 10, udpLen);
      acc = checksumPartial(udpStart, udpLen, checksumPartial(pseudo, sizeof pseudo));
    } else {
      uint8_t pseudo[40];
      std::memcpy(pseudo, ipHdr + ip::kV6Src, 32);
      storeBe32(pseudo + 32, udpLen);
      storeBe32(pseudo + 36, ip::kProtoUdp);
      acc = checksumPartial(udpStart, udpLen, checksumPartial(pseudo, sizeof pseudo));
    }
    // Summing a correct packet including its checksum field gives 0xffff.
    if (sum == 0 || checksumFinish(acc) != 0) {
      badChecksum = true;
      return DropReason::Malformed;
    }
  }
  std::span<const uint8_t> payload;
  if (!udp.readBytes(udpLen - ip::kUdpHeader, payload)) return DropReason::Malformed;
  if (dport != ip::kIkePort) {
    if (payload.size() < kMarkerLen || loadBe32(payload.data()) != 0) return DropReason::Malformed;
    payload = payload.subspan(kMarkerLen);
  }
  if (v4) {
    out.local.address = IpAddress::v4(ipHdr + ip::kV4Dst);
    out.remote.address = IpAddress::v4(ipHdr + ip::kV4Src);
  } else {
    out.local.address = IpAddress::v6(ipHdr + ip::kV6Dst);
    out.remote.address = IpAddress::v6(ipHdr + ip::kV6Src);
  }
  out.local.port = dport;
  out.remote.port = sport;
  out.bytes.assign(payload.begin(), payload.end());
  return DropReason::None;
}

uint32_t encodedIkeDatagramSize(const ike::Datagram& d) {
  const uint32_t ipLen = d.local.address.isV4() ? ip::kIpv4MinHeader : ip::kIpv6Header;
  return ipLen + ip::kUdpHeader + (needsMarker(d) ? kMarkerLen : 0) + static_cast<uint32_t>(d.bytes.size());
}

uint32_t encodeIkeDatagram(const ike::Datagram& d, uint16_t ipv4Id, std::span<uint8_t> out) {
  if (d.local.address.family != d.remote.address.family) return 0;
  const bool v4 = d.local.address.isV4();
  const uint32_t total = encodedIkeDatagramSize(d);
  const uint32_t ipLen = v4 ? ip::kIpv4MinHeader : ip::kIpv6Header;
  const uint32_t udpLen = total - ipLen;
  if (total > out.size() || udpLen > UINT16_MAX) return 0;
  const uint32_t markerLen = needsMarker(d) ? kMarkerLen : 0;
  uint8_t* p = out.data();
  // Headers and the non-ESP marker, if any, start zeroed; a keepalive has no
  // marker and may be the last byte of the buffer.
  std::memset(p, 0, ipLen + ip::kUdpHeader + markerLen);
  if (v4) {
    p[0] = 0x45;
    storeBe16(p + ip::kV4TotalLen, static_cast<uint16_t>(total));
    storeBe16(p + ip::kV4Id, ipv4Id);
    // DF clear: we do no path MTU discovery for IKE, so a router may
    // fragment a large IKE_AUTH rather than lose it.
    p[ip::kV4Ttl] = kIkeTtl;
    p[ip::kV4Proto] = ip::kProtoUdp;
    std::memcpy(p + ip::kV4Src, d.local.address.bytes.data(), 4);
    std::memcpy(p + ip::kV4Dst, d.remote.address.bytes.data(), 4);
    storeBe16(p + ip::kV4Checksum, ipv4HeaderChecksum(p, ip::kIpv4MinHeader));
  } else {
    p[0] = 0x60;
    storeBe16(p + ip::kV6PayloadLen, static_cast<uint16_t>(udpLen));
    p[ip::kV6NextHeader] = ip::kProtoUdp;
    p[ip::kV6HopLimit] = kIkeTtl;
    std::memcpy(p + ip::kV6Src, d.local.address.bytes.data(), 16);
    std::memcpy(p + ip::kV6Dst, d.remote.address.bytes.data(), 16);
  }
  uint8_t* udp = p + ipLen;
  storeBe16(udp, d.local.port);
  storeBe16(udp + 2, d.remote.port);
  storeBe16(udp + 4, static_cast<uint16_t>(udpLen));
  uint8_t* payload = udp + ip::kUdpHeader + markerLen;  // marker bytes already zero
  if (!d.bytes.empty()) std::memcpy(payload, d.bytes.data(), d.bytes.size());
  const uint16_t sum = v4 ? udpChecksumV4(p + ip::kV4Src, p + ip::kV4Dst, udp, udpLen)
                          : transportChecksumV6(p + ip::kV6Src, p + ip::kV6Dst, ip::kProtoUdp, udp, udpLen);
  storeBe16(udp + 6, sum);
  return total;
}

}  // namespace ipsecgw::dataplane
