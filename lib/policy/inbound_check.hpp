// RFC 4301 5.2 step 4: after an inbound packet was decrypted and verified,
// its inner header must match the selectors of the SA it arrived on;
// otherwise a peer could use an SA negotiated for one flow to inject
// traffic for another.
#pragma once

#include <cstdint>
#include <span>

#include "net/drop_reason.hpp"
#include "policy/selector.hpp"

namespace ipsecgw::policy {

// `saSelectors` are the SA's selectors oriented as the *sender* sent the
// traffic: src is the peer's side (for an IKEv2 inbound SA, the peer's
// traffic selector), dst ours. The decrypted inner packet carries the
// sender's addresses unchanged, so it is matched as is, with no swap.
//
// Returns None if the inner packet's flow key matches any of the selectors,
// PolicyMismatch if it matches none (also for an empty selector list), and
// Malformed if the inner packet does not parse as IPv4/IPv6 (any parse
// failure: the inner packet came out of an authenticated SA, so there is no
// finer reason worth a counter of its own).
//
// Not handled here: ICMP error messages whose payload names another flow
// (RFC 4301 6.2) are checked against their own outer header like any packet.
//
// Data plane: no allocation, exception or log.
DropReason checkInbound(std::span<const TrafficSelector> saSelectors, std::span<const uint8_t> decryptedInnerPacket);

}  // namespace ipsecgw::policy
