// Hex decoding for test keys, config files and vectors. Control plane only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipsecgw {

// Accepts upper/lower case, ignores spaces, ':' and a leading "0x".
std::optional<std::vector<uint8_t>> decodeHex(std::string_view text);
std::string encodeHex(const uint8_t* data, size_t n);

}  // namespace ipsecgw
