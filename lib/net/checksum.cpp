#include "net/checksum.hpp"

#include <cstring>

#include "util/byte_order.hpp"

namespace {
constexpr bool kHostIsBigEndian = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
}  // namespace

namespace ipsecgw {

uint32_t checksumPartial(const uint8_t* data, size_t len, uint32_t sum) {
  // RFC 1071 2(B): the one's-complement sum does not depend on byte order.
  // Eight bytes at a time in host order, each carry added back at once
  // (end-around carry), folded to 16 bits and swapped to network order at
  // the end: a fifth of the additions of a 16-bit big-endian loop, and no
  // swap per word. The packet path sums a 20-byte IPv4 header per packet.
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
  if (i < len) tail += kHostIsBigEndian ? uint64_t{data[i]} << 8 : data[i];
  acc += tail;
  acc += acc < tail;
  // Fold 64 -> 16 bits; every step keeps the sum modulo 0xffff.
  acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  const uint16_t folded = static_cast<uint16_t>(acc);
  uint64_t total = uint64_t{sum} + (kHostIsBigEndian ? folded : __builtin_bswap16(folded));
  total = (total & 0xffffffff) + (total >> 32);
  return static_cast<uint32_t>(total);
}

}  // namespace ipsecgw

namespace ipsecgw {
uint16_t transportChecksumV6(const uint8_t* src16, const uint8_t* dst16, uint8_t proto, const uint8_t* l4,
                             uint32_t len) {
  uint32_t sum = checksumPartial(src16, 16);
  sum = checksumPartial(dst16, 16, sum);
  uint8_t tail[8] = {static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16), static_cast<uint8_t>(len >> 8),
                     static_cast<uint8_t>(len), 0, 0, 0, proto};
  sum = checksumPartial(tail, sizeof tail, sum);
  sum = checksumPartial(l4, len, sum);
  uint16_t c = checksumFinish(sum);
  return c == 0 ? 0xffff : c;
}
}  // namespace ipsecgw
