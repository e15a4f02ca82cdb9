// Hex text: decoding for test keys, config files and vectors; the one
// spelling of SPIs in logs, events and CLI listings. Control plane only.
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

// An ESP/AH SPI (RFC 4303 2.1, 32 bits) as "0x" and 8 lower-case digits,
// e.g. "0xc0ffee01": what `ipsecgwctl`, the event stream and the daemon's
// CHILD_SA lines print and the tests match.
std::string formatSpi(uint32_t spi);
// An IKE SPI (RFC 7296 3.1, 64 bits) as "0x" and 16 lower-case digits.
std::string formatIkeSpi(uint64_t spi);

}  // namespace ipsecgw
