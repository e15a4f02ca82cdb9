#include "common/packet_builder.hpp"

#include <cstring>

#include "net/checksum.hpp"
#include "net/ip.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::test {

OwnedPacket::OwnedPacket(const std::vector<uint8_t>& packet, uint32_t headroom, uint32_t tailroom)
    : storage(headroom + packet.size() + tailroom) {
  std::memcpy(storage.data() + headroom, packet.data(), packet.size());
  buf = PacketBuffer{storage.data(), static_cast<uint32_t>(storage.size()), headroom,
                     static_cast<uint32_t>(packet.size())};
}

std::vector<uint8_t> makeIpPacket(const IpAddress& src, const IpAddress& dst, uint8_t proto, uint32_t payloadLen,
                                  std::mt19937& rng, bool dontFragment) {
  const bool v4 = src.isV4();
  const uint32_t ipLen = v4 ? ip::kIpv4MinHeader : ip::kIpv6Header;
  const uint32_t l4Len = proto == ip::kProtoTcp ? 20 : 8;
  std::vector<uint8_t> p(ipLen + l4Len + payloadLen);
  uint8_t* h = p.data();
  if (v4) {
    h[0] = 0x45;
    h[1] = 0x28;  // a DSCP to see copied to the outer header
    storeBe16(h + ip::kV4TotalLen, static_cast<uint16_t>(p.size()));
    storeBe16(h + ip::kV4Id, static_cast<uint16_t>(rng()));
    storeBe16(h + ip::kV4Frag, dontFragment ? ip::kV4FlagDf : 0);
    h[ip::kV4Ttl] = 64;
    h[ip::kV4Proto] = proto;
    std::memcpy(h + ip::kV4Src, src.bytes.data(), 4);
    std::memcpy(h + ip::kV4Dst, dst.bytes.data(), 4);
    storeBe16(h + ip::kV4Checksum, ipv4HeaderChecksum(h, ip::kIpv4MinHeader));
  } else {
    h[0] = 0x60;
    storeBe16(h + ip::kV6PayloadLen, static_cast<uint16_t>(p.size() - ip::kIpv6Header));
    h[ip::kV6NextHeader] = proto;
    h[ip::kV6HopLimit] = 64;
    std::memcpy(h + ip::kV6Src, src.bytes.data(), 16);
    std::memcpy(h + ip::kV6Dst, dst.bytes.data(), 16);
  }
  uint8_t* l4 = h + ipLen;
  if (proto == ip::kProtoUdp || proto == ip::kProtoTcp) {
    storeBe16(l4, static_cast<uint16_t>(1024 + rng() % 60000));
    storeBe16(l4 + 2, static_cast<uint16_t>(1 + rng() % 65535));
    if (proto == ip::kProtoUdp) storeBe16(l4 + 4, static_cast<uint16_t>(l4Len + payloadLen));
    if (proto == ip::kProtoTcp) l4[12] = 0x50;
  } else {
    l4[0] = v4 ? 8 : 128;  // echo request
  }
  for (uint32_t i = 0; i < payloadLen; ++i) l4[l4Len + i] = static_cast<uint8_t>(rng());
  return p;
}

}  // namespace ipsecgw::test
