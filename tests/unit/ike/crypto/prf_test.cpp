// prf+ limits (RFC 7296 2.13) and the block structure of its output.
#include "ike/crypto/prf.hpp"
#include "test_support.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using namespace ipsecgw::ike::test;

TEST_CASE("prf+ stops at 255 blocks", "[prf]") {
  const Bytes key(32, 0x11), seed(40, 0x22);
  for (PrfId id : {PrfId::HmacSha2_256, PrfId::HmacSha2_384, PrfId::HmacSha2_512}) {
    const size_t block = prfInfo(id).outLen;
    auto max = prfPlus(id, key, {seed}, 255 * block);
    REQUIRE(max);
    CHECK(max->size() == 255 * block);
    auto over = prfPlus(id, key, {seed}, 255 * block + 1);
    REQUIRE_FALSE(over);
    CHECK(over.error() == CryptoError::TooMuchKeyMaterial);
  }
}

TEST_CASE("prf+ output is a prefix-stable stream", "[prf]") {
  const Bytes key(20, 0x33), seed(10, 0x44);
  auto longer = prfPlus(PrfId::HmacSha2_256, key, {seed}, 100);
  auto shorter = prfPlus(PrfId::HmacSha2_256, key, {seed}, 33);
  REQUIRE(longer);
  REQUIRE(shorter);
  CHECK(Bytes(longer->view().begin(), longer->view().begin() + 33) == bytesOf(*shorter));
  // T1 = prf(K, S | 0x01).
  const uint8_t one = 1;
  auto t1 = prf(PrfId::HmacSha2_256, key, {seed, ByteView(&one, 1)});
  REQUIRE(t1);
  CHECK(Bytes(longer->view().begin(), longer->view().begin() + 32) == bytesOf(*t1));
  auto empty = prfPlus(PrfId::HmacSha2_256, key, {seed}, 0);
  REQUIRE(empty);
  CHECK(empty->empty());
}
