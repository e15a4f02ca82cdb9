#include "ike/engine/nat_detection.hpp"

#include <openssl/sha.h>

#include "util/byte_order.hpp"

namespace ipsecgw::ike {

NatHash natDetectionHash(uint64_t spiI, uint64_t spiR, const Endpoint& e) {
  // SPIs and port in network order, the address in its own length (4 or 16).
  uint8_t input[8 + 8 + 16 + 2];
  storeBe64(input, spiI);
  storeBe64(input + 8, spiR);
  const size_t alen = e.address.size();
  std::copy(e.address.bytes.begin(), e.address.bytes.begin() + alen, input + 16);
  storeBe16(input + 16 + alen, e.port);
  NatHash h;
  SHA1(input, 16 + alen + 2, h.data());
  return h;
}

}  // namespace ipsecgw::ike
