#include "esp/replay_window.hpp"

#include <bit>
#include <cassert>

namespace ipsecgw::esp {

ReplayWindow::ReplayWindow(uint32_t size, bool esn) : size_(size), esn_(esn) {
  assert(size >= kMinSize && size <= kMaxSize);
  // One spare block beyond the window (RFC 6479 section 2): the block the top
  // moves into can be cleared whole without losing bits still inside the window.
  uint64_t blocks = std::bit_ceil(uint64_t{(size + 63) / 64 + 1});
  blockMask_ = blocks - 1;
  bitmap_.assign(blocks, 0);
}

bool ReplayWindow::check(uint32_t seqLow, uint64_t& full) const {
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

bool ReplayWindow::withinWindowAndFresh(uint64_t seq) const {
  if (seq > top_) return true;
  if (top_ - seq >= size_) return false;
  return (block(seq) & (uint64_t{1} << (seq & 63))) == 0;
}

bool ReplayWindow::accept(uint64_t seq) {
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

uint32_t ReplayWindow::receivedInWindow() const {
  uint32_t n = 0;
  for (uint64_t i = 0; i < size_ && i < top_; ++i) {
    uint64_t seq = top_ - i;
    if (block(seq) & (uint64_t{1} << (seq & 63))) ++n;
  }
  return n;
}

}  // namespace ipsecgw::esp
