// UDP encapsulation of ESP (RFC 3948). On port 4500 three things arrive: ESP
// (first four bytes are a non-zero SPI), IKE (behind the four-byte non-ESP
// marker of zeros, RFC 3948 2.2) and NAT keepalives (a single 0xFF byte,
// RFC 3948 2.3).
#pragma once

#include <cstdint>
#include <span>

namespace ipsecgw::esp {

enum class UdpPayloadKind : uint8_t { Esp, Ike, NatKeepalive, Invalid };

// `payload` is the UDP payload of a datagram to port 4500.
UdpPayloadKind classifyNatTPayload(std::span<const uint8_t> payload);

}  // namespace ipsecgw::esp
