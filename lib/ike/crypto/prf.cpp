#include "ike/crypto/prf.hpp"

#include <algorithm>
#include <array>

#include "ike/crypto/hmac.hpp"

namespace ipsecgw::ike {

Expected<SecretBytes, CryptoError> prf(PrfId id, ByteView key, std::initializer_list<ByteView> data) {
  Hmac hmac(prfInfo(id).digest);
  SecretBytes out(hmac.outLen());
  if (!hmac.compute(key, data, out.mutableView().data())) return unexpected(CryptoError::LibraryFailure);
  return out;
}

Expected<SecretBytes, CryptoError> prfPlus(PrfId id, ByteView key, std::initializer_list<ByteView> seed,
                                           size_t length) {
  constexpr size_t kMaxBlocks = 255;
  const size_t blockLen = prfInfo(id).outLen;
  if (length > kMaxBlocks * blockLen) return unexpected(CryptoError::TooMuchKeyMaterial);
  Hmac hmac(prfInfo(id).digest);

  SecretBytes out(length);
  std::array<uint8_t, 64> t;  // Tn; SHA-512's block is the largest
  bool good = true;
  size_t done = 0;
  for (size_t n = 1; good && done < length; ++n) {
    const uint8_t counter = static_cast<uint8_t>(n);
    good = hmac.init(key);
    if (n > 1) good = hmac.update({t.data(), blockLen});  // Tn-1; T0 is empty
    for (ByteView part : seed) good = hmac.update(part);
    good = hmac.update({&counter, 1}) && hmac.final(t.data());
    if (good) {
      const size_t take = std::min(blockLen, length - done);
      std::copy_n(t.begin(), take, out.mutableView().begin() + done);
      done += take;
    }
  }
  secureWipe(t.data(), t.size());
  if (!good) return unexpected(CryptoError::LibraryFailure);
  return out;
}

}  // namespace ipsecgw::ike
