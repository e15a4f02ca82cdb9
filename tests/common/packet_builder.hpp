// Builds IPv4/IPv6 test packets (UDP, TCP, ICMP) into owned buffers with head-
// and tailroom, for unit tests of the ESP layer. Test code only.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "net/ip_address.hpp"
#include "net/packet_buffer.hpp"

namespace ipsecgw::test {

// A buffer that owns its bytes and exposes them as a PacketBuffer.
struct OwnedPacket {
  std::vector<uint8_t> storage;
  PacketBuffer buf;

  OwnedPacket(const std::vector<uint8_t>& packet, uint32_t headroom = 128, uint32_t tailroom = 128);
  std::vector<uint8_t> bytes() const { return {buf.data(), buf.data() + buf.length}; }
};

// proto: 17 UDP, 6 TCP, 1/58 ICMP echo. Payload bytes from `rng`.
std::vector<uint8_t> makeIpPacket(const IpAddress& src, const IpAddress& dst, uint8_t proto, uint32_t payloadLen,
                                  std::mt19937& rng, bool dontFragment = true);

}  // namespace ipsecgw::test
