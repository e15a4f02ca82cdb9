// The transform table: IANA numbers, properties, and unknown IDs reported.
#include "ike/crypto/algorithms.hpp"
#include "test_support.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;

TEST_CASE("ENCR properties by ID and key length", "[algorithms]") {
  auto gcm128 = encrInfo(20, 128);
  REQUIRE(gcm128);
  CHECK(gcm128->aead);
  CHECK(gcm128->keyLen == 16);
  CHECK(gcm128->saltLen == 4);
  CHECK(gcm128->keyMaterialLen() == 20);
  CHECK(gcm128->ivLen == 8);
  CHECK(gcm128->icvLen == 16);
  CHECK(gcm128->blockSize == 1);

  auto gcm256 = encrInfo(20, 256);
  REQUIRE(gcm256);
  CHECK(gcm256->keyMaterialLen() == 36);

  auto chacha = encrInfo(28, 0);
  REQUIRE(chacha);
  CHECK(chacha->aead);
  CHECK(chacha->keyMaterialLen() == 36);
  CHECK(chacha->ivLen == 8);

  auto cbc = encrInfo(12, 256);
  REQUIRE(cbc);
  CHECK_FALSE(cbc->aead);
  CHECK(cbc->keyMaterialLen() == 32);
  CHECK(cbc->ivLen == 16);
  CHECK(cbc->blockSize == 16);
  CHECK(cbc->icvLen == 0);
}

TEST_CASE("unknown IDs and key lengths are errors, not asserts", "[algorithms]") {
  CHECK(encrInfo(3, 0).error() == CryptoError::UnknownAlgorithm);     // 3DES
  CHECK(encrInfo(12, 0).error() == CryptoError::UnknownAlgorithm);    // AES without Key Length
  CHECK(encrInfo(20, 100).error() == CryptoError::UnknownAlgorithm);  // no such AES key
  CHECK(encrInfo(28, 256).error() == CryptoError::UnknownAlgorithm);  // RFC 7634 2: no Key Length
  CHECK(encrInfo(0xffff, 128).error() == CryptoError::UnknownAlgorithm);
  CHECK(prfInfo(2).error() == CryptoError::UnknownAlgorithm);   // PRF_HMAC_SHA1
  CHECK(integInfo(2).error() == CryptoError::UnknownAlgorithm); // AUTH_HMAC_SHA1_96
  CHECK(keGroupInfo(2).error() == CryptoError::UnknownAlgorithm);
  CHECK(keGroupInfo(0).error() == CryptoError::UnknownAlgorithm);
  CHECK_FALSE(esnSupported(2));
  CHECK(esnSupported(0));
  CHECK(esnSupported(1));
  CHECK(std::string(cryptoErrorName(CryptoError::BadPeerValue)) == "bad-peer-value");
}

TEST_CASE("PRF, INTEG and KE properties by ID", "[algorithms]") {
  const std::pair<uint16_t, size_t> prfs[] = {{5, 32}, {6, 48}, {7, 64}};
  for (auto [id, len] : prfs) {
    auto p = prfInfo(id);
    REQUIRE(p);
    CHECK(p->outLen == len);
  }
  // RFC 4868 2.1: key = hash length, ICV = half of it.
  const std::tuple<uint16_t, size_t, size_t> integs[] = {{12, 32, 16}, {13, 48, 24}, {14, 64, 32}};
  for (auto [id, key, icv] : integs) {
    auto i = integInfo(id);
    REQUIRE(i);
    CHECK(i->keyLen == key);
    CHECK(i->icvLen == icv);
  }
  const std::tuple<uint16_t, KeKind, size_t, size_t> groups[] = {
      {14, KeKind::Modp, 256, 256}, {15, KeKind::Modp, 384, 384}, {19, KeKind::Ecp, 64, 32},
      {20, KeKind::Ecp, 96, 48},    {21, KeKind::Ecp, 132, 66},   {31, KeKind::Ecx, 32, 32},
      {32, KeKind::Ecx, 56, 56}};
  for (auto [id, kind, pub, shared] : groups) {
    INFO("group " << id);
    auto g = keGroupInfo(id);
    REQUIRE(g);
    CHECK(g->kind == kind);
    CHECK(g->publicLen == pub);
    CHECK(g->sharedLen == shared);
  }
}
