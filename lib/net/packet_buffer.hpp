// A contiguous packet in a buffer with head- and tailroom. The ESP transforms
// work on this so that unit tests can run them on plain arrays; the data plane
// wraps a single-segment rte_mbuf in one (buf_addr, data_off, data_len,
// buf_len) and writes the offsets back afterwards.
#pragma once

#include <cstdint>
#include <span>

namespace ipsecgw {

struct PacketBuffer {
  uint8_t* base = nullptr;  // start of the underlying buffer
  uint32_t capacity = 0;    // bytes available from base
  uint32_t offset = 0;      // start of packet data (headroom)
  uint32_t length = 0;      // bytes of packet data

  uint8_t* data() const { return base + offset; }
  uint8_t* end() const { return base + offset + length; }
  uint32_t headroom() const { return offset; }
  uint32_t tailroom() const { return capacity - offset - length; }
  std::span<uint8_t> bytes() const { return {data(), length}; }

  // Each returns a pointer to the bytes gained (or nullptr when they do not
  // fit); the caller must check before writing.
  uint8_t* prepend(uint32_t n) {
    if (n > offset) return nullptr;
    offset -= n;
    length += n;
    return data();
  }
  uint8_t* append(uint32_t n) {
    if (n > tailroom()) return nullptr;
    uint8_t* tail = end();
    length += n;
    return tail;
  }
  bool trimFront(uint32_t n) {
    if (n > length) return false;
    offset += n;
    length -= n;
    return true;
  }
  bool trimBack(uint32_t n) {
    if (n > length) return false;
    length -= n;
    return true;
  }
};

}  // namespace ipsecgw
