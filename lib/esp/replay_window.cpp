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




uint32_t ReplayWindow::receivedInWindow() const {
  uint32_t n = 0;
  for (uint64_t i = 0; i < size_ && i < top_; ++i) {
    uint64_t seq = top_ - i;
    if (block(seq) & (uint64_t{1} << (seq & 63))) ++n;
  }
  return n;
}

}  // namespace ipsecgw::esp
