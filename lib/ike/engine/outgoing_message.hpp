// A Message of ours to the datagrams that carry it: IKE_SA_INIT (and any
// message before the keys exist) in the clear, everything later inside SK
// (RFC 7296 3.14), or, when IKE fragmentation is in use on the SA and the SK
// datagram would exceed [ike] fragment_size, as a set of Encrypted Fragment
// payloads (RFC 7383 2.5), each sealed on its own. The task manager sends,
// retransmits and caches the whole set.
#pragma once

#include <optional>
#include <vector>

#include "ike/engine/ike_sa.hpp"

namespace ipsecgw::ike {

// The datagrams for `m` on `sa`, or nullopt when it did not encode (counted
// as EncodeFailed).
std::optional<std::vector<Bytes>> encodeOutgoing(const Message& m, IkeSa& sa, EngineContext& ctx);

// Inner payload bytes one SKF fragment may carry so that its IP datagram
// stays within `fragmentSize` (RFC 7383 2.5.1: the sender picks the size
// from the path MTU minus IP, UDP, non-ESP marker, IKE header, SKF header,
// IV, padding and ICV). 0 when nothing fits.
size_t fragmentInnerBudget(size_t fragmentSize, bool ipv6, bool natT, size_t ivLength, size_t icvLength,
                           size_t blockSize);

}  // namespace ipsecgw::ike
