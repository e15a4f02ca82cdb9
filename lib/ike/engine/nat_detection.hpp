// NAT detection (RFC 7296 2.23): each side sends
//   NAT_DETECTION_SOURCE_IP      = SHA-1(SPIi | SPIr | source IP | source port)
//   NAT_DETECTION_DESTINATION_IP = SHA-1(SPIi | SPIr | dest IP | dest port)
// as it sees the addresses; SPIr is zero in the IKE_SA_INIT request. A hash
// that does not match what the receiver sees means a NAT rewrote that side.
#pragma once

#include <array>
#include <cstdint>

#include "ike/engine/ike_engine.hpp"

namespace ipsecgw::ike {

using NatHash = std::array<uint8_t, 20>;

NatHash natDetectionHash(uint64_t spiI, uint64_t spiR, const Endpoint& e);

}  // namespace ipsecgw::ike
