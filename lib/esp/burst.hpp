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

// Runs `chunkFn(pkts, reasons)`, which returns how many of its packets
// succeeded, over pkts in chunks of `chunk`, then moves the failures behind
// the survivors and counts them on `drops`. Returns the number of survivors.
// The common frame of espEncapsulate/espDecapsulate.
template <typename ChunkFn>
uint32_t processInChunks(std::span<PacketBuffer*> pkts, std::span<DropReason> reasons, uint32_t chunk,
                         uint64_t& drops, ChunkFn&& chunkFn) {
  size_t survivors = 0;
  for (size_t off = 0; off < pkts.size(); off += chunk) {
    size_t n = pkts.size() - off < chunk ? pkts.size() - off : chunk;
    survivors += chunkFn(pkts.subspan(off, n), reasons.subspan(off, n));
  }
  // Usually nothing failed and the burst stays as it is.
  uint32_t good = survivors != pkts.size() ? compactBurst(pkts, reasons) : static_cast<uint32_t>(pkts.size());
  drops += pkts.size() - good;
  return good;
}

}  // namespace ipsecgw::esp
