// A worker's memo of resolved next hops (egress port, its MTU, the
// neighbour's MAC), so that a packet whose destination was resolved before
// skips the route lookup (LPM) and the neighbour table (a hash of the
// address) -- decided once per SA, not once per packet (STYLE.md).
//
// Slots: one per outbound SA (direct-mapped by the SA's index: in tunnel
// mode every packet of an SA goes to the same outer destination), and one
// more for the last destination of anything else (decrypted and BYPASS
// traffic, which arrives in runs to one host). A slot answers only for the
// destination it was resolved for: the hop depends on nothing else (routes
// and neighbours being unchanged), so a transport-mode SA, two SAs sharing a
// slot or an SA replaced in its slot at worst miss, never get a wrong hop.
//
// Validity: every slot carries the generation it was filled in; invalidate()
// starts a new one, which empties every slot at once. The worker calls it
// whenever a route or neighbour may have changed (an ARP or ND packet was
// handled, the route table was replaced) and it is public for the control
// core, which must call it after changing either itself.
//
// Concurrency: per worker, single-threaded, no allocation.
#pragma once

#include <rte_ether.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "net/ip.hpp"

namespace ipsecgw::dataplane {

struct ResolvedHop {
  uint16_t port = 0;
  uint16_t mtu = 0;  // the egress port's
  rte_ether_addr mac{};
};

class NextHopCache {
 public:
  static constexpr uint32_t kSaSlots = 256;
  // The slot for traffic that is not leaving through an SA.
  static constexpr uint32_t kAnySlot = kSaSlots;

  static uint32_t saSlot(uint32_t saIndex) { return saIndex % kSaSlots; }

  void invalidate() { ++generation_; }

  // The hop stored in `slot` for the destination of the packet at `ip` (an
  // IPv4 or IPv6 header) in this generation, or nullptr.
  const ResolvedHop* find(uint32_t slot, const uint8_t* ip) const {
    const Slot& s = slots_[slot];
    if (s.generation != generation_) return nullptr;
    return sameDestination(s, ip) ? &s.hop : nullptr;
  }

  void store(uint32_t slot, const uint8_t* ip, const ResolvedHop& hop) {
    Slot& s = slots_[slot];
    s.generation = generation_;
    s.v4 = (ip[0] >> 4) == 4;
    std::memcpy(s.dst, ip + (s.v4 ? ip::kV4Dst : ip::kV6Dst), s.v4 ? 4 : 16);
    s.hop = hop;
  }

 private:
  struct Slot {
    uint64_t generation = 0;  // 0: never filled (generation_ starts at 1)
    bool v4 = true;
    uint8_t dst[16] = {};
    ResolvedHop hop;
  };

  static bool sameDestination(const Slot& s, const uint8_t* ip) {
    const bool v4 = (ip[0] >> 4) == 4;
    if (v4 != s.v4) return false;
    // Fixed-size compares: the compiler turns them into one or two loads.
    return v4 ? std::memcmp(s.dst, ip + ip::kV4Dst, 4) == 0 : std::memcmp(s.dst, ip + ip::kV6Dst, 16) == 0;
  }

  uint64_t generation_ = 1;
  std::array<Slot, kSaSlots + 1> slots_{};
};

}  // namespace ipsecgw::dataplane
