// Collects the SKF fragments of one IKE message (RFC 7383 2.6). The exchange
// layer keeps one per message ID it is waiting for and feeds it fragments that
// openFragment() has already authenticated, so nothing here is unverified.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "ike/wire/message_codec.hpp"

namespace ipsecgw::ike {

enum class FragmentVerdict : uint8_t {
  Stored,     // kept; more are missing
  Complete,   // this one completed the set: call take()
  Duplicate,  // this number was already stored (a retransmission)
  Stale,      // total smaller than the set in progress (RFC 7383 2.6: discard it)
  TooMany,    // total or size above this reassembler's limits
};

struct Reassembled {
  PayloadType firstInner = PayloadType::NoNext;
  Bytes inner;  // the whole inner payload chain, for decodeChain()
};

class Reassembler {
 public:
  // Limits bound the memory a peer (even an authenticated one) can pin.
  explicit Reassembler(size_t maxFragments = 64, size_t maxBytes = 64 * 1024)
      : maxFragments_(maxFragments), maxBytes_(maxBytes) {}

  FragmentVerdict add(Fragment&& f);
  // The reassembled chain after add() said Complete; resets for the next message.
  Reassembled take();
  void reset();
  size_t stored() const { return count_; }

 private:
  size_t maxFragments_;
  size_t maxBytes_;
  uint16_t total_ = 0;
  size_t count_ = 0;
  size_t bytes_ = 0;
  PayloadType firstInner_ = PayloadType::NoNext;
  std::vector<std::optional<Bytes>> parts_;
};

}  // namespace ipsecgw::ike
