#include "net/checksum.hpp"

#include "util/byte_order.hpp"

namespace ipsecgw {

uint32_t checksumPartial(const uint8_t* data, size_t len, uint32_t sum) {
  uint64_t acc = sum;
  size_t i = 0;
  for (; i + 1 < len; i += 2) acc += loadBe16(data + i);
  if (i < len) acc += static_cast<uint32_t>(data[i]) << 8;
  while (acc >> 32) acc = (acc & 0xffffffff) + (acc >> 32);
  return static_cast<uint32_t>(acc);
}

uint16_t checksumUpdate16(uint16_t checksum, uint16_t oldValue, uint16_t newValue) {
  uint32_t sum = static_cast<uint16_t>(~checksum) + static_cast<uint16_t>(~oldValue) + newValue;
  return checksumFinish(sum);
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
