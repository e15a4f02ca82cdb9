// SPI text: the one spelling that logs, events, listings and the tests that
// match them agree on, at the edges of each width.
#include <catch2/catch.hpp>

#include "util/hex.hpp"

using namespace ipsecgw;

TEST_CASE("formatSpi: 0x and 8 lower-case digits, zero-padded", "[util][hex]") {
  CHECK(formatSpi(0) == "0x00000000");
  CHECK(formatSpi(1) == "0x00000001");
  CHECK(formatSpi(0xc0ffee01u) == "0xc0ffee01");
  CHECK(formatSpi(0xABCDEFu) == "0x00abcdef");
  CHECK(formatSpi(UINT32_MAX) == "0xffffffff");
}

TEST_CASE("formatIkeSpi: 0x and 16 lower-case digits, zero-padded", "[util][hex]") {
  CHECK(formatIkeSpi(0) == "0x0000000000000000");
  CHECK(formatIkeSpi(0x1234u) == "0x0000000000001234");
  CHECK(formatIkeSpi(0x8000000000000000ull) == "0x8000000000000000");
  CHECK(formatIkeSpi(0xDEADBEEFCAFEF00Dull) == "0xdeadbeefcafef00d");
  CHECK(formatIkeSpi(UINT64_MAX) == "0xffffffffffffffff");
}

TEST_CASE("formatSpi reads back through decodeHex", "[util][hex]") {
  const auto bytes = decodeHex(formatSpi(0x01020304u));
  REQUIRE(bytes);
  CHECK(*bytes == std::vector<uint8_t>{1, 2, 3, 4});
}
