#include "esp/esp_crypto_layout.hpp"

#include <cstring>

#include "util/byte_order.hpp"

namespace ipsecgw::esp {

void restoreDisplacedBytes(EspOpScratch& s) {
  std::memcpy(s.esp, s.esp - 4, 4);  // the SPI back in place
  std::memcpy(s.esp - 4, s.displaced, 4);
}

}  // namespace ipsecgw::esp
