// Nonces and SPIs (RFC 7296 2.10, 3.1; RFC 4303 2.1).
#include <set>

#include "ike/crypto/random.hpp"
#include "test_support.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;

TEST_CASE("nonces: default 32 octets, RFC bounds enforced, never repeated", "[random]") {
  std::set<std::vector<uint8_t>> seen;
  for (int i = 0; i < 100; ++i) {
    auto n = makeNonce();
    REQUIRE(n);
    CHECK(n->size() == 32);
    seen.insert(*n);
  }
  CHECK(seen.size() == 100);
  CHECK(makeNonce(16).has_value());
  CHECK(makeNonce(256).has_value());
  CHECK(makeNonce(15).error() == CryptoError::BadKeyLength);
  CHECK(makeNonce(257).error() == CryptoError::BadKeyLength);
}

TEST_CASE("SPIs: IKE non-zero, ESP >= 256, distinct", "[random]") {
  std::set<uint64_t> ike;
  std::set<uint32_t> esp;
  for (int i = 0; i < 1000; ++i) {
    auto a = makeIkeSpi();
    auto b = makeEspSpi();
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a != 0);
    CHECK(*b >= 256);
    ike.insert(*a);
    esp.insert(*b);
  }
  CHECK(ike.size() == 1000);
  CHECK(esp.size() >= 999);  // 32-bit draws: a collision in 1000 is ~1e-4 likely
}
