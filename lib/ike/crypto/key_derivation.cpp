#include "ike/crypto/key_derivation.hpp"

#include <array>

#include "ike/crypto/prf.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::ike {

namespace {

// Consecutive slices of prf+ output, each copied into a key of its own.
class KeySplitter {
 public:
  explicit KeySplitter(const SecretBytes& stream) : stream_(stream.view()) {}
  SecretBytes take(size_t n) {
    SecretBytes key(stream_.subspan(offset_, n));
    offset_ += n;
    return key;
  }

 private:
  ByteView stream_;
  size_t offset_ = 0;
};

size_t integKeyLen(const ProtectionSuite& s) { return s.integ ? integInfo(*s.integ).keyLen : 0; }

}  // namespace

Expected<EncrInfo, CryptoError> checkSuite(const ProtectionSuite& suite) {
  auto encr = encrInfo(static_cast<uint16_t>(suite.encr), suite.encrKeyBits);
  if (!encr) return encr;
  if (suite.integ && !integInfo(static_cast<uint16_t>(*suite.integ)))
    return unexpected(CryptoError::UnknownAlgorithm);
  // An AEAD carries its own ICV (RFC 5282 8); CBC needs an INTEG (RFC 7296 3.3).
  if (encr->aead == suite.integ.has_value()) return unexpected(CryptoError::BadSuite);
  return encr;
}

Expected<SecretBytes, CryptoError> skeyseed(PrfId prf, ByteView ni, ByteView nr, ByteView gir) {
  // The key is Ni | Nr in full: HMAC takes keys of any length (2.14).
  SecretBytes key(ni.size() + nr.size());
  std::copy(ni.begin(), ni.end(), key.mutableView().begin());
  std::copy(nr.begin(), nr.end(), key.mutableView().begin() + ni.size());
  return ike::prf(prf, key.view(), {gir});
}

Expected<SecretBytes, CryptoError> rekeySkeyseed(PrfId prf, ByteView skDOld, ByteView gir, ByteView ni, ByteView nr) {
  return ike::prf(prf, skDOld, {gir, ni, nr});
}

Expected<IkeSaKeys, CryptoError> deriveIkeSaKeys(PrfId prf, const ProtectionSuite& suite, ByteView skeyseed,
                                                 ByteView ni, ByteView nr, uint64_t spiI, uint64_t spiR) {
  auto encr = checkSuite(suite);
  if (!encr) return unexpected(encr.error());
  const size_t prfLen = prfInfo(prf).outLen;
  const size_t integLen = integKeyLen(suite);
  const size_t encrLen = encr->keyMaterialLen();
  std::array<uint8_t, 16> spis;
  storeBe64(spis.data(), spiI);
  storeBe64(spis.data() + 8, spiR);
  auto stream = prfPlus(prf, skeyseed, {ni, nr, spis}, 3 * prfLen + 2 * integLen + 2 * encrLen);
  if (!stream) return unexpected(stream.error());
  KeySplitter split(*stream);
  IkeSaKeys keys;
  keys.skD = split.take(prfLen);
  keys.skAi = split.take(integLen);
  keys.skAr = split.take(integLen);
  keys.skEi = split.take(encrLen);
  keys.skEr = split.take(encrLen);
  keys.skPi = split.take(prfLen);
  keys.skPr = split.take(prfLen);
  return keys;
}

Expected<ChildSaKeys, CryptoError> deriveChildSaKeys(PrfId prf, ByteView skD, const ProtectionSuite& espSuite,
                                                     ByteView gir, ByteView ni, ByteView nr) {
  auto encr = checkSuite(espSuite);
  if (!encr) return unexpected(encr.error());
  const size_t integLen = integKeyLen(espSuite);
  const size_t encrLen = encr->keyMaterialLen();
  auto stream = prfPlus(prf, skD, {gir, ni, nr}, 2 * (encrLen + integLen));
  if (!stream) return unexpected(stream.error());
  KeySplitter split(*stream);
  ChildSaKeys keys;
  keys.encrI2R = split.take(encrLen);
  keys.integI2R = split.take(integLen);
  keys.encrR2I = split.take(encrLen);
  keys.integR2I = split.take(integLen);
  return keys;
}

}  // namespace ipsecgw::ike
