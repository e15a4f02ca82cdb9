// IPv4 fragmentation (RFC 791 3.2 "Fragmentation and reassembly", RFC 815
// for offsets in 8-octet units). The gateway fragments an inner packet whose
// DF bit is clear before ESP, so each fragment is encrypted on its own and the
// outer packets never need fragmenting (RFC 4459 3.1: "pre-fragmentation").
// Works on plain byte spans: the data plane allocates one buffer per fragment
// (lib/dataplane/ipv4_fragmenter.hpp) and asks this code to fill it.
#pragma once

#include <cstdint>
#include <span>

#include "net/drop_reason.hpp"

namespace ipsecgw {

struct Ipv4FragmentPlan {
  uint32_t firstHeaderLen = 0;  // the original header, options and all
  uint32_t laterHeaderLen = 0;  // header of the later fragments: only options with the copy flag (RFC 791 3.1)
  uint32_t payloadLen = 0;      // bytes after the header in the original
  uint32_t chunk = 0;           // payload bytes per fragment but the last, a multiple of 8
  uint32_t count = 0;           // fragments
};

// Plans fragments of the IPv4 packet `packet` of at most `mtu` bytes each.
// Refuses (Malformed) a packet whose header does not parse, (MtuExceeded) one
// with DF set or an MTU that leaves no 8 payload bytes after the header.
// A packet that already fits gets count 1.
DropReason planIpv4Fragments(std::span<const uint8_t> packet, uint32_t mtu, Ipv4FragmentPlan& plan);

// Writes fragment `index` of the plan into `out`; returns its length, or 0 if
// `out` is too small or `index` is out of range. Offsets and MF continue
// those of `packet` (it may itself be a fragment); the header checksum is
// recomputed.
uint32_t writeIpv4Fragment(std::span<const uint8_t> packet, const Ipv4FragmentPlan& plan, uint32_t index,
                           std::span<uint8_t> out);

}  // namespace ipsecgw
