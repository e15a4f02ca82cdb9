// Reassembly of one direction's fragmented IKE message on one IKE SA (RFC
// 7383 2.6). With a window of one (RFC 7296 2.3) an IKE SA waits for at
// most one request and one response at a time, so the task manager keeps
// two of these; each holds the fragments of a single message ID, which the
// message ID check before any crypto has already admitted. Fragments come
// in verified (openFragment() checked the ICV), so nothing stored here is
// unauthenticated; the Reassembler bounds count and bytes, and a set left
// incomplete is given up after kTimeoutMs.
#pragma once

#include <cstdint>

#include "ike/wire/reassembler.hpp"

namespace ipsecgw::ike {

class FragmentCollector {
 public:
  // Long enough for the peer's retransmissions to fill the gaps (strongSwan
  // retransmits after 4 s, 7.2 s, ...), short enough not to pin memory for
  // a set that is never completed.
  static constexpr uint64_t kTimeoutMs = 30000;
  // Per message: a 64 KB UDP datagram is the largest IKE message anyway,
  // and a few hundred bytes per fragment is the least anyone uses.
  static constexpr size_t kMaxFragments = 128;
  static constexpr size_t kMaxBytes = 64 * 1024;

  FragmentCollector() : parts_(kMaxFragments, kMaxBytes) {}

  // `f` belongs to message `messageId` of `exchange`. Fragments of another
  // message replace the set in progress (the window moved on).
  FragmentVerdict add(uint32_t messageId, ExchangeType exchange, Fragment&& f, uint64_t nowMs);
  // The whole inner chain after add() said Complete.
  Reassembled take() { return parts_.take(); }
  // Gives up a set older than kTimeoutMs; true when one was dropped.
  bool expire(uint64_t nowMs);
  void reset() { parts_.reset(); }
  bool busy() const { return parts_.stored() != 0; }

 private:
  Reassembler parts_;
  uint32_t messageId_ = 0;
  ExchangeType exchange_ = ExchangeType::IkeSaInit;
  uint64_t startedMs_ = 0;
};

}  // namespace ipsecgw::ike
