#include "ike/crypto/sk_cipher_factory.hpp"

#include "ike/crypto/aead_sk_cipher.hpp"
#include "ike/crypto/cbc_hmac_sk_cipher.hpp"

namespace ipsecgw::ike {

Expected<SkCipherPtr, CryptoError> makeSkCipher(const ProtectionSuite& suite, SecretBytes&& encrKey,
                                                SecretBytes&& integKey) {
  // Taken over at once, so that the keys die wiped on every error path too.
  SecretBytes ek(std::move(encrKey)), ik(std::move(integKey));
  auto encr = checkSuite(suite);
  if (!encr) return unexpected(encr.error());
  const size_t integLen = suite.integ ? integInfo(*suite.integ).keyLen : 0;
  if (ek.size() != encr->keyMaterialLen() || ik.size() != integLen) return unexpected(CryptoError::BadKeyLength);
  SkCipherPtr cipher;
  if (encr->aead)
    cipher = AeadSkCipher::create(*encr, std::move(ek));
  else
    cipher = CbcHmacSkCipher::create(*encr, integInfo(*suite.integ), std::move(ek), std::move(ik));
  if (!cipher) return unexpected(CryptoError::LibraryFailure);
  return cipher;
}

Expected<SkCipherPair, CryptoError> makeSkCipherPair(const ProtectionSuite& suite, IkeSaKeys& keys, Role role) {
  const bool initiator = role == Role::Initiator;
  auto out = makeSkCipher(suite, std::move(initiator ? keys.skEi : keys.skEr), std::move(initiator ? keys.skAi : keys.skAr));
  auto in = makeSkCipher(suite, std::move(initiator ? keys.skEr : keys.skEi), std::move(initiator ? keys.skAr : keys.skAi));
  if (!out) return unexpected(out.error());
  if (!in) return unexpected(in.error());
  return SkCipherPair{std::move(*out), std::move(*in)};
}

}  // namespace ipsecgw::ike
