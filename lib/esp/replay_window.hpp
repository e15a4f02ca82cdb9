// Anti-replay window (RFC 4303 3.4.3) with extended sequence numbers
// (RFC 4303 Appendix A2), stored as a ring of 64-bit blocks after RFC 6479 so
// that sliding the window clears whole words instead of shifting bits.
//
// Use in two steps, because the window may only move for authentic packets
// (RFC 4303 3.4.3): check() before the ICV is verified (cheap rejection, and it
// infers the high 32 bits of an ESN), accept() after. accept() re-checks, so two
// copies of one packet in the same burst cannot both get through.
//
// Concurrency: owned by the single worker that serves the inbound SA.
#pragma once

#include <cassert>
#include <cstdint>
#include <vector>

namespace ipsecgw::esp {

class ReplayWindow {
 public:
  static constexpr uint32_t kMinSize = 64;
  static constexpr uint32_t kMaxSize = 4096;

  // `size` must lie in [kMinSize, kMaxSize] (validated by the SA config).
  ReplayWindow(uint32_t size, bool esn);

  // Infer the full sequence number for the 32 bits on the wire and check it
  // against the window. Returns false for a replayed or too old packet; on
  // true, `full` is the 64-bit number to authenticate (its high half goes into
  // the ICV computation with ESN) and to pass to accept().
  bool check(uint32_t seqLow, uint64_t& full) const;

  // Record an authenticated packet. False if it was already recorded (or fell
  // out of the window since check()).
  bool accept(uint64_t full);

  uint64_t highest() const { return top_; }
  uint32_t size() const { return size_; }
  bool esn() const { return esn_; }
  // Number of sequence numbers marked as received within the window (for the
  // CLI's replay state).
  uint32_t receivedInWindow() const;

 private:
  bool withinWindowAndFresh(uint64_t seq) const;
  uint64_t& block(uint64_t seq) { return bitmap_[(seq >> 6) & blockMask_]; }
  const uint64_t& block(uint64_t seq) const { return bitmap_[(seq >> 6) & blockMask_]; }

  uint32_t size_;
  bool esn_;
  uint64_t top_ = 0;  // highest authenticated sequence number (0: none yet)
  uint64_t blockMask_;
  std::vector<uint64_t> bitmap_;  // power-of-two count of blocks > size_/64
};


// Hot path: inline, called per packet.
inline bool ReplayWindow::withinWindowAndFresh(uint64_t seq) const {
  if (seq > top_) return true;
  if (top_ - seq >= size_) return false;
  return (block(seq) & (uint64_t{1} << (seq & 63))) == 0;
}

inline bool ReplayWindow::check(uint32_t seqLow, uint64_t& full) const {
  full = 0;
  if (!esn_) {
    full = seqLow;
  } else {
    // RFC 4303 Appendix A2.2: choose the ESN high half that puts the packet in
    // or right of the window. Tl/Th: low/high half of the window top; the
    // window's bottom is Tl - W + 1 (mod 2^32).
    uint32_t tl = static_cast<uint32_t>(top_);
    uint32_t th = static_cast<uint32_t>(top_ >> 32);
    uint32_t bottom = tl - (size_ - 1);
    uint32_t seqHigh;
    if (tl >= size_ - 1) {
      // Case A: the window lies within one sub-space of 2^32.
      seqHigh = seqLow >= bottom ? th : th + 1;
    } else {
      // Case B: the window spans two sub-spaces.
      seqHigh = seqLow >= bottom ? th - 1 : th;
      if (seqLow >= bottom && th == 0) return false;  // would be below 0
    }
    full = uint64_t{seqHigh} << 32 | seqLow;
  }
  // Sequence number 0 is never sent (RFC 4303 3.3.3: the first packet is 1).
  if (full == 0) return false;
  return withinWindowAndFresh(full);
}

inline bool ReplayWindow::accept(uint64_t seq) {
  if (seq == 0 || !withinWindowAndFresh(seq)) return false;
  if (seq > top_) {
    // Clear the blocks the window slides into. Beyond the bitmap's length
    // every block is new, so clearing all of them is enough.
    uint64_t from = top_ >> 6;
    uint64_t to = seq >> 6;
    uint64_t steps = to - from;
    if (steps > blockMask_) steps = blockMask_ + 1;
    for (uint64_t i = 1; i <= steps; ++i) bitmap_[(from + i) & blockMask_] = 0;
    top_ = seq;
  }
  block(seq) |= uint64_t{1} << (seq & 63);
  return true;
}

}  // namespace ipsecgw::esp
