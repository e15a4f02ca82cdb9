// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ipsecgw {

// One's-complement sum of 16-bit big-endian words plus `sum`, not yet folded
// to 16 bits or inverted: any value congruent modulo 0xffff may come back, so
// the result only goes into checksumFinish or into further sums.
inline uint32_t checksumPartial(const uint8_t* data, size_t len, uint32_t sum = 0) {
  // RFC 1071 2(B): the one's-complement sum does not depend on byte order.
  // Eight bytes at a time in host order, each carry added back at once
  // (end-around carry), folded to 16 bits and swapped to network order at
  // the end: a fifth of the additions of a 16-bit big-endian loop, and no
  // swap per word. Inline: the packet path sums a 20-byte IPv4 header per
  // packet, a constant-length loop once the length is known.
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    acc += w;
    acc += acc < w;  // the carry out of bit 63 goes back in at bit 0
  }
  uint64_t tail = 0;
  if (i + 4 <= len) {
    uint32_t w;
    std::memcpy(&w, data + i, 4);
    tail = w;
    i += 4;
  }
  if (i + 2 <= len) {
    uint16_t w;
    std::memcpy(&w, data + i, 2);
    tail += w;
    i += 2;
  }
  // An odd last byte is the high byte of a zero-padded word: in host
  // (little-endian) order, the low byte.
  if (i < len) tail += (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__) ? uint64_t{data[i]} << 8 : data[i];
  acc += tail;
  acc += acc < tail;
  // Fold 64 -> 16 bits; every step keeps the sum modulo 0xffff.
  acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  const uint16_t folded = static_cast<uint16_t>(acc);
  uint64_t total = uint64_t{sum} + ((__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__) ? folded : __builtin_bswap16(folded));
  total = (total & 0xffffffff) + (total >> 32);
  return static_cast<uint32_t>(total);
}
// Fold a partial sum and invert it: the value that goes on the wire.
inline uint16_t checksumFinish(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}
// IPv4 header checksum over `headerLen` bytes (the checksum field must be zero).
inline uint16_t ipv4HeaderChecksum(const uint8_t* header, size_t headerLen) {
  return checksumFinish(checksumPartial(header, headerLen));
}
// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit field changing m -> m'.
// Inline: every forwarded IPv4 packet patches its TTL with it.
inline uint16_t checksumUpdate16(uint16_t checksum, uint16_t oldValue, uint16_t newValue) {
  uint32_t sum = static_cast<uint16_t>(~checksum) + static_cast<uint16_t>(~oldValue) + newValue;
  return checksumFinish(sum);
}

}  // namespace ipsecgw

namespace ipsecgw {
// Transport checksum over an IPv6 pseudo-header (RFC 8200 8.1) and `len` bytes
// of upper-layer data whose own checksum field is zero. For UDP a result of 0
// is sent as 0xffff (RFC 768).
uint16_t transportChecksumV6(const uint8_t* src16, const uint8_t* dst16, uint8_t proto, const uint8_t* l4,
                             uint32_t len);
}  // namespace ipsecgw
