// Frames the traffic generator sends: Ethernet / IPv4 / UDP of a given
// length, the IMIX size pattern, and an ARP request that teaches a gateway
// the generator's MAC (RFC 826: a host learns the sender of a request that
// concerns it). No EAL here, so the builders can run anywhere.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "net/ip_address.hpp"

namespace ipsecgw::trafficgen {

using Mac = std::array<uint8_t, 6>;

std::optional<Mac> parseMac(std::string_view text);

inline constexpr uint32_t kEthHeader = 14;
// Smallest frame: Ethernet + IPv4 + UDP headers (FCS not counted anywhere).
inline constexpr uint32_t kMinFrame = kEthHeader + 20 + 8;
inline constexpr uint32_t kMaxFrame = 1514;

// Frame sizes as the benchmark names them: "64", "512,1420" or "imix".
// IMIX here is the simple 7:4:1 mix of 64, 576 and 1420-byte frames
// (1420 rather than 1518 so that the ESP tunnel still fits a 1500 MTU), in
// an interleaved order so that every burst carries the mix. Empty on error.
std::vector<uint32_t> parseSizes(std::string_view text);

struct FlowSpec {
  Mac srcMac{};
  Mac dstMac{};
  IpAddress srcIp;  // IPv4
  IpAddress dstIp;  // IPv4
  uint16_t srcPort = 1024;
  uint16_t dstPort = 9;  // discard
};

// An Ethernet/IPv4/UDP frame of exactly `frameLen` bytes (kMinFrame..kMaxFrame;
// empty for a length out of that range) with a valid IPv4 header checksum and
// a zero UDP checksum (RFC 768: no checksum, allowed over IPv4).
std::vector<uint8_t> buildUdpFrame(const FlowSpec& flow, uint32_t frameLen);

// "who has targetIp? tell senderIp" from senderMac, broadcast.
std::vector<uint8_t> buildArpRequest(const Mac& senderMac, const IpAddress& senderIp, const IpAddress& targetIp);

}  // namespace ipsecgw::trafficgen
