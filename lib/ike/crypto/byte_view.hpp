// Read-only octets: message parts, nonces, public values and views of keys.
#pragma once

#include <cstdint>
#include <span>

namespace ipsecgw::ike {

using ByteView = std::span<const uint8_t>;

}  // namespace ipsecgw::ike
