#include "net/checksum.hpp"

#include "util/byte_order.hpp"

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
