// Wire constants and field offsets for the headers the gateway touches.
#pragma once

#include <cstdint>

namespace ipsecgw::ip {

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoIpip = 4;   // IPv4 inner (tunnel mode next header)
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIpv6 = 41;  // IPv6 inner
inline constexpr uint8_t kProtoEsp = 50;
inline constexpr uint8_t kProtoIcmpv6 = 58;
inline constexpr uint8_t kProtoNoNext = 59;

// IPv6 extension headers (RFC 8200 4.1).
inline constexpr uint8_t kExtHopByHop = 0;
inline constexpr uint8_t kExtRouting = 43;
inline constexpr uint8_t kExtFragment = 44;
inline constexpr uint8_t kExtDestOpts = 60;

inline constexpr uint32_t kIpv4MinHeader = 20;
inline constexpr uint32_t kIpv6Header = 40;
inline constexpr uint32_t kUdpHeader = 8;

// IPv4 field offsets.
inline constexpr uint32_t kV4Tos = 1, kV4TotalLen = 2, kV4Id = 4, kV4Frag = 6, kV4Ttl = 8, kV4Proto = 9,
                          kV4Checksum = 10, kV4Src = 12, kV4Dst = 16;
inline constexpr uint16_t kV4FlagDf = 0x4000, kV4FlagMf = 0x2000, kV4FragOffsetMask = 0x1fff;
// IPv6 field offsets.
inline constexpr uint32_t kV6PayloadLen = 4, kV6NextHeader = 6, kV6HopLimit = 7, kV6Src = 8, kV6Dst = 24;

inline constexpr uint16_t kNatTPort = 4500;  // RFC 3948
inline constexpr uint16_t kIkePort = 500;

}  // namespace ipsecgw::ip
