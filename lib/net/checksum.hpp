// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ipsecgw {

// One's-complement sum of 16-bit big-endian words plus `sum`, not yet folded
// to 16 bits or inverted: any value congruent modulo 0xffff may come back, so
// the result only goes into checksumFinish or into further sums.
uint32_t checksumPartial(const uint8_t* data, size_t len, uint32_t sum = 0);
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
