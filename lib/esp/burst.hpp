// Burst bookkeeping shared by the ESP routines: they return how many packets
// succeeded and move the failures behind the survivors, each with its reason
// (after DPDK lib/ipsec's move_bad_mbufs, but keeping a reason per packet).
#pragma once

#include <cstdint>
#include <span>

#include "net/drop_reason.hpp"
#include "net/packet_buffer.hpp"

namespace ipsecgw::esp {

// Stable partition of pkts[0..n) by reasons[i] == None; reasons move along.
// Returns the number of survivors. No allocation: at most kMaxBurst packets.
inline constexpr uint32_t kMaxBurst = 256;
uint32_t compactBurst(std::span<PacketBuffer*> pkts, std::span<DropReason> reasons);

}  // namespace ipsecgw::esp
