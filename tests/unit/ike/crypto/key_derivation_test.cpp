// Key lengths per suite (RFC 7296 2.14, 2.17) and suites that cannot be used.
#include "ike/crypto/key_derivation.hpp"
#include "test_support.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using namespace ipsecgw::ike::test;

namespace {
const Bytes kNi(32, 1), kNr(32, 2), kGir(256, 3), kSeed(32, 4);
}

TEST_CASE("IKE SA key lengths follow the suite", "[keys]") {
  struct Case {
    PrfId prf;
    ProtectionSuite suite;
    size_t prfLen, integLen, encrLen;
  };
  const Case cases[] = {
      {PrfId::HmacSha2_256, {EncrId::AesGcm16, 128, {}}, 32, 0, 20},
      {PrfId::HmacSha2_384, {EncrId::AesGcm16, 256, {}}, 48, 0, 36},
      {PrfId::HmacSha2_512, {EncrId::ChaCha20Poly1305, 0, {}}, 64, 0, 36},
      {PrfId::HmacSha2_256, {EncrId::AesCbc, 128, IntegId::HmacSha2_256_128}, 32, 32, 16},
      {PrfId::HmacSha2_384, {EncrId::AesCbc, 256, IntegId::HmacSha2_384_192}, 48, 48, 32},
      {PrfId::HmacSha2_512, {EncrId::AesCbc, 256, IntegId::HmacSha2_512_256}, 64, 64, 32},
  };
  for (const Case& c : cases) {
    auto keys = deriveIkeSaKeys(c.prf, c.suite, kSeed, kNi, kNr, 1, 2);
    REQUIRE(keys);
    CHECK(keys->skD.size() == c.prfLen);
    CHECK(keys->skPi.size() == c.prfLen);
    CHECK(keys->skPr.size() == c.prfLen);
    CHECK(keys->skAi.size() == c.integLen);
    CHECK(keys->skAr.size() == c.integLen);
    CHECK(keys->skEi.size() == c.encrLen);
    CHECK(keys->skEr.size() == c.encrLen);
    CHECK(bytesOf(keys->skEi) != bytesOf(keys->skEr));
    // CHILD_SA keys for the same suite as ESP: one encr (+salt) and integ key per direction.
    auto child = deriveChildSaKeys(c.prf, keys->skD.view(), c.suite, {}, kNi, kNr);
    REQUIRE(child);
    CHECK(child->encrI2R.size() == c.encrLen);
    CHECK(child->encrR2I.size() == c.encrLen);
    CHECK(child->integI2R.size() == c.integLen);
    CHECK(child->integR2I.size() == c.integLen);
    // With PFS the KEYMAT changes.
    auto pfs = deriveChildSaKeys(c.prf, keys->skD.view(), c.suite, kGir, kNi, kNr);
    REQUIRE(pfs);
    CHECK(bytesOf(pfs->encrI2R) != bytesOf(child->encrI2R));
  }
}

TEST_CASE("unusable suites are refused", "[keys]") {
  // AEAD with an INTEG transform (RFC 5282 8), CBC without one.
  const ProtectionSuite gcmWithInteg{EncrId::AesGcm16, 128, IntegId::HmacSha2_256_128};
  const ProtectionSuite cbcWithoutInteg{EncrId::AesCbc, 128, {}};
  const ProtectionSuite badKeyBits{EncrId::AesCbc, 64, IntegId::HmacSha2_256_128};
  const ProtectionSuite unknownEncr{static_cast<EncrId>(3), 0, IntegId::HmacSha2_256_128};
  const ProtectionSuite unknownInteg{EncrId::AesCbc, 128, static_cast<IntegId>(2)};
  CHECK(deriveIkeSaKeys(PrfId::HmacSha2_256, gcmWithInteg, kSeed, kNi, kNr, 1, 2).error() == CryptoError::BadSuite);
  CHECK(deriveIkeSaKeys(PrfId::HmacSha2_256, cbcWithoutInteg, kSeed, kNi, kNr, 1, 2).error() == CryptoError::BadSuite);
  CHECK(deriveIkeSaKeys(PrfId::HmacSha2_256, badKeyBits, kSeed, kNi, kNr, 1, 2).error() ==
        CryptoError::UnknownAlgorithm);
  CHECK(deriveChildSaKeys(PrfId::HmacSha2_256, kSeed, unknownEncr, {}, kNi, kNr).error() ==
        CryptoError::UnknownAlgorithm);
  CHECK(deriveChildSaKeys(PrfId::HmacSha2_256, kSeed, unknownInteg, {}, kNi, kNr).error() ==
        CryptoError::UnknownAlgorithm);
}

TEST_CASE("SKEYSEED depends on every input", "[keys]") {
  auto base = skeyseed(PrfId::HmacSha2_256, kNi, kNr, kGir);
  auto swapped = skeyseed(PrfId::HmacSha2_256, kNr, kNi, kGir);
  auto rekey = rekeySkeyseed(PrfId::HmacSha2_256, kSeed, kGir, kNi, kNr);
  REQUIRE(base);
  REQUIRE(swapped);
  REQUIRE(rekey);
  CHECK(base->size() == 32);
  CHECK(bytesOf(*base) != bytesOf(*swapped));
  CHECK(bytesOf(*base) != bytesOf(*rekey));
}
